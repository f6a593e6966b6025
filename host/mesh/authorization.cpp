#include "mesh/authorization.hpp"

#include "mesh/routing_table.hpp"

namespace lanchat::host::mesh {

AuthorizationPolicy::Rules AuthorizationPolicy::default_rules() {
    return {
        // The gateway reads users; operators manage them (added below); only Auth verifies passwords.
        {"identity", {"auth", "gateway"}},
        {"/lanchat.identity.v1.Identity/VerifyPassword", {"auth"}},
        {"/lanchat.identity.v1.Identity/CheckAccess", {"auth"}},
        {"audit", {"router", "channel", "auth", "presence", "identity"}},
        {"channel", {"router", "gateway"}},
        // What the client edge needs to follow its users' channels; no other service reads memberships.
        {"/lanchat.channel.v1.Channel/Memberships", {"gateway"}},
        {"/lanchat.channel.v1.Channel/Positions", {"gateway"}},
        {"auth", {"gateway"}},
        {"router", {"gateway"}},
        {"presence", {"gateway"}},
        // Any peer of the trust domain may read the membership; the plugin lets a node register only itself.
        {"discovery", {"*"}},
    };
}

AuthorizationPolicy::AuthorizationPolicy(std::string trust_domain, const Rules& overrides)
    : trust_domain_(std::move(trust_domain)) {
    for (const auto& [key, callers] : default_rules()) rules_[key] = callers;
    const std::string operators = "spiffe://" + trust_domain_ + "/operator/*";
    // Reading the audit record is for operators only; managing users (lanchatctl user) is theirs too.
    for (const char* method : {"/lanchat.audit.v1.Audit/Query", "/lanchat.audit.v1.Audit/Verify"}) {
        rules_[method] = {operators};
    }
    rules_["identity"].push_back(operators);
    // The host itself records operators' actions on the admin endpoint (plugin reloads), as its node.
    rules_["audit"].push_back("spiffe://" + trust_domain_ + "/node/*");
    // Changing accounts is the operators' alone; the gateway may create (member) accounts when it lets people
    // register.
    for (const char* method :
         {"/lanchat.identity.v1.Identity/UpdateUser", "/lanchat.identity.v1.Identity/SetUserDisabled",
          "/lanchat.identity.v1.Identity/SetPassword"}) {
        rules_[method] = {operators};
    }
    rules_["/lanchat.identity.v1.Identity/CreateUser"] = {"gateway", operators};
    for (const auto& [key, callers] : overrides) rules_[key] = callers;
}

std::string AuthorizationPolicy::logical_service(std::string_view method) {
    std::string_view service = service_of(method);
    constexpr std::string_view prefix = "lanchat.";
    if (service.substr(0, prefix.size()) != prefix) return {};
    std::string_view rest = service.substr(prefix.size());
    return std::string(rest.substr(0, rest.find('.')));
}

bool AuthorizationPolicy::matches(const std::string& pattern, std::string_view peer) const {
    const std::string domain = "spiffe://" + trust_domain_ + "/";
    if (pattern == "*") return peer.substr(0, domain.size()) == domain;
    if (pattern.rfind("spiffe://", 0) != 0) return peer == domain + "svc/" + pattern;
    if (pattern.size() >= 2 && pattern.compare(pattern.size() - 2, 2, "/*") == 0) {
        std::string_view prefix(pattern.data(), pattern.size() - 1);
        return peer.size() > prefix.size() && peer.substr(0, prefix.size()) == prefix;
    }
    return peer == pattern;
}

bool AuthorizationPolicy::allows(std::string_view method, std::string_view peer_spiffe_id) const {
    if (peer_spiffe_id.empty()) return false;
    const std::string logical = logical_service(method);
    for (std::string_view key : {method, service_of(method), std::string_view(logical)}) {
        if (key.empty()) continue;
        auto rule = rules_.find(key);
        if (rule == rules_.end()) continue;
        for (const std::string& pattern : rule->second) {
            if (matches(pattern, peer_spiffe_id)) return true;
        }
        return false;  // the most specific rule decides
    }
    return false;
}

}  // namespace lanchat::host::mesh

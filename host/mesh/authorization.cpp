#include "mesh/authorization.hpp"

#include "mesh/routing_table.hpp"

namespace lanchat::host::mesh {

namespace {

// What each service calls of another, method by method, read from their code (the gateway's calls in
// plugins/gateway/*_requests.cpp, the Router's in plugins/router/plugin.cpp): a method nobody listed here
// calls is open to no service, so a compromised gateway cannot append to a log or add itself a device.
struct Calls {
    const char* caller;
    const char* service;  // the proto service, e.g. "lanchat.channel.v1.Channel"
    std::vector<const char*> methods;
};

const std::vector<Calls>& method_calls() {
    static const std::vector<Calls> calls = {
        {"auth", "lanchat.identity.v1.Identity", {"VerifyPassword", "GetUser", "CheckAccess"}},
        {"gateway", "lanchat.identity.v1.Identity", {"CreateUser", "GetUser", "LookupUser"}},
        {"router", "lanchat.channel.v1.Channel", {"Append", "Amend", "Audience", "History"}},
        {"gateway",
         "lanchat.channel.v1.Channel",
         {"CreateChannel", "OpenDirect", "GetChannel", "ListChannels", "Join", "Leave", "Invite", "Remove",
          "ListMembers", "History", "Memberships", "Positions", "CoMembers"}},
        {"gateway", "lanchat.auth.v1.Auth", {"Login", "Validate", "Refresh", "Logout", "Recheck"}},
        {"gateway", "lanchat.router.v1.Router", {"Send", "Edit", "Delete", "Typing", "SubscribeEdge", "Announce"}},
        {"gateway", "lanchat.presence.v1.Presence", {"Heartbeat", "SetStatus", "Disconnect", "Watch"}},
    };
    return calls;
}

}  // namespace

AuthorizationPolicy::Rules AuthorizationPolicy::default_rules() {
    Rules rules = {
        // Every service is closed by default; the method rules below open what is called.
        {"identity", {}},
        {"channel", {}},
        {"auth", {}},
        {"router", {}},
        {"presence", {}},
        {"audit", {"router", "channel", "auth", "presence", "identity"}},
        // Any node, service or operator of the trust domain may read the membership (end users' device
        // certificates never reach the mesh: see mesh/tls.cpp); the plugin lets a node register only itself.
        {"discovery", {"*"}},
    };
    for (const Calls& calls : method_calls()) {
        for (const char* method : calls.methods) {
            rules["/" + std::string(calls.service) + "/" + method].push_back(calls.caller);
        }
    }
    return rules;
}

AuthorizationPolicy::AuthorizationPolicy(std::string trust_domain, const Rules& overrides)
    : trust_domain_(std::move(trust_domain)) {
    for (const auto& [key, callers] : default_rules()) rules_[key] = callers;
    const std::string operators = "spiffe://" + trust_domain_ + "/operator/*";
    // Reading the audit record is for operators only; managing users (lanchatctl user) is theirs too.
    for (const char* method : {"/lanchat.audit.v1.Audit/Query", "/lanchat.audit.v1.Audit/Verify"}) {
        rules_[method] = {operators};
    }
    // The rest of Identity, reading the signing keys, a user's presence and renaming or archiving a channel
    // are the operators'; they also create accounts, beside the gateway when it lets people register.
    for (const char* key :
         {"identity", "/lanchat.identity.v1.Identity/CreateUser", "/lanchat.identity.v1.Identity/GetUser",
          "/lanchat.identity.v1.Identity/LookupUser", "/lanchat.auth.v1.Auth/Keys", "/lanchat.presence.v1.Presence/Get",
          "/lanchat.channel.v1.Channel/RenameChannel", "/lanchat.channel.v1.Channel/ArchiveChannel"}) {
        rules_[key].push_back(operators);
    }
    // The host itself records operators' actions on the admin endpoint (plugin reloads), as its node.
    rules_["audit"].push_back("spiffe://" + trust_domain_ + "/node/*");
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

// AuthorizationPolicy: which callers (by SPIFFE ID) may call which methods. Default deny; the defaults are
// the seed's edges, and the node file's [authorization] replaces any rule it names.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace lanchat::host::mesh {

class AuthorizationPolicy {
public:
    using Rules = std::map<std::string, std::vector<std::string>>;

    // The seed's edges, each narrowed to the methods its caller uses: Auth -> Identity, Router -> Channel,
    // Router -> Audit, Channel -> Audit, Auth -> Audit, Presence -> Audit, and the gateway -> Auth, Identity,
    // Router, Channel, Presence; Discovery is open to the domain. Operators' rules are added on top.
    static Rules default_rules();

    // Rule keys: a logical service ("audit", for package lanchat.audit.v1), a proto service
    // ("lanchat.audit.v1.Audit") or a full method ("/lanchat.audit.v1.Audit/Query"); the most specific wins.
    // Callers: a service name ("auth" -> spiffe://<domain>/svc/auth), a SPIFFE ID, a SPIFFE ID prefix ending
    // in "/*", or "*" for any peer of the trust domain.
    AuthorizationPolicy(std::string trust_domain, const Rules& overrides);

    bool allows(std::string_view method, std::string_view peer_spiffe_id) const;

    // "audit" for "/lanchat.audit.v1.Audit/Append"; empty outside the lanchat.<service>.v1 convention.
    static std::string logical_service(std::string_view method);

private:
    bool matches(const std::string& pattern, std::string_view peer) const;

    std::string trust_domain_;
    std::map<std::string, std::vector<std::string>, std::less<>> rules_;  // looked up by string_view per call
};

}  // namespace lanchat::host::mesh

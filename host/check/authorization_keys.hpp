// `lanchatd --check`'s reading of `[authorization]`: a rule whose key names nothing authorizes nothing, and
// the service it was meant for stays refused to everyone; so such a key is an error, as unknown keys are.
#pragma once

#include "config/node_config.hpp"
#include "lanchat/sdk/status.hpp"

namespace lanchat::host {

// Each key must be one of the forms the policy looks up (mesh/authorization.hpp): a full method
// ("/acme.greeter.v1.Greeter/Say"), a proto service ("acme.greeter.v1.Greeter"), or a bare logical service
// name, which means package lanchat.<name>.v1 and so must be one of the contracts lanchatd carries
// ("audit", "identity", ...). The first key that is none of these is refused, naming the file, the key and
// the forms that would work.
sdk::Status check_authorization_keys(const NodeConfig& config);

}  // namespace lanchat::host

// The services the gateway calls (auth, identity, channel, router, presence) and how it calls them.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "lanchat/sdk/rpc.hpp"
#include "lanchat/sdk/status.hpp"

namespace lanchat::gateway {

// "/lanchat.<service>.v1.<Service>/<method>"; INTERNAL for a service the gateway does not call.
sdk::Result<std::string> full_method(std::string_view service, std::string_view method);

// How to call `method` of `service`: within `timeout` (0: no deadline, for a stream that lives as long as
// its connection), retried by the mesh when `idempotent`. INTERNAL for an unknown service, as above.
sdk::Result<sdk::CallOptions> call_options(std::string_view service, std::string_view method,
                                           std::chrono::milliseconds timeout, bool idempotent);

}  // namespace lanchat::gateway

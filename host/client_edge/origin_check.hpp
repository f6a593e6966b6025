// The cross-site WebSocket check: a browser page from another site must not ride on the user's network
// position, so when a browser names the page's origin it has to be this very host.
#pragma once

#include <string_view>

namespace lanchat::host::edge {

// True when an Origin header ("https://host:port") names the same host and port as the Host header
// ("host:port"), case aside.
bool same_authority(std::string_view origin, std::string_view host);

}  // namespace lanchat::host::edge

// One HTTPS request of the client edge handed to the plugin's `http` callback, in plain C++ on the host's
// side: the listener reads the request and writes the answer, and only this file builds the ABI's structs.
#pragma once

#include <cstdint>
#include <string>

#include "lanchat/plugin_abi.h"

namespace lanchat::host::abi {

// A request that is not a WebSocket upgrade, as the listener read it.
struct HttpRequest {
    std::string method;
    std::string target;
    std::string peer_address;
    std::string if_none_match;  // empty when the header is absent
};

// What the handler answered. `status` 0: it set none (the listener answers 404).
struct HttpAnswer {
    uint16_t status = 0;
    std::string content_type;
    std::string cache_control;
    std::string etag;
    std::string body;
};

// Calls `handler.http` (which must not be NULL) with `request` lent as a lanchat_http_request, and collects
// what it wrote into the host-owned lanchat_http_response.
HttpAnswer exchange_http(const lanchat_client_edge_handler& handler, const HttpRequest& request);

}  // namespace lanchat::host::abi

// The HTTPS response the client edge sends for a request that is not a WebSocket upgrade: what the
// handling plugin answered, with the host's defaults and the security headers every answer carries.
#pragma once

#include <boost/beast/http.hpp>

#include "abi/http_exchange.hpp"

namespace lanchat::host::edge {

// Status 0 becomes 404 (with a body naming the target when the plugin wrote none), one outside 100-599
// becomes 500; HEAD and 304 answers carry the body's length but not the body.
boost::beast::http::response<boost::beast::http::string_body> http_response(
    const boost::beast::http::request<boost::beast::http::empty_body>& request, abi::HttpAnswer answer);

}  // namespace lanchat::host::edge

// The HTTPS response the client edge sends for a request that is not a WebSocket upgrade: what the
// handling plugin answered, with the host's defaults and the security headers every answer carries.
#pragma once

#include <boost/beast/http.hpp>
#include <string>

#include "abi/http_exchange.hpp"

namespace lanchat::host::edge {

// Status 0 becomes 404 (with a body naming the target when the plugin wrote none), one outside 100-599
// becomes 500; HEAD and 304 answers carry the body's length but not the body.
boost::beast::http::response<boost::beast::http::string_body> http_response(
    const boost::beast::http::request<boost::beast::http::empty_body>& request, abi::HttpAnswer answer);

// A plain-text answer the edge gives itself (a refused upgrade, a request that is not HTTP).
boost::beast::http::response<boost::beast::http::string_body> plain_answer(boost::beast::http::status status,
                                                                           unsigned version, std::string text);

// The bytes of a response as they go on the wire.
std::string wire_bytes(const boost::beast::http::response<boost::beast::http::string_body>& response);

}  // namespace lanchat::host::edge

// The server's half of the WebSocket opening handshake (RFC 6455 4.2): what an upgrade request must carry
// beyond what beast::websocket::is_upgrade checks, and the 101 answer.
#pragma once

#include <boost/beast/http.hpp>
#include <string>
#include <string_view>

namespace lanchat::host::edge {

// Empty when `request` (already an upgrade) can be accepted; otherwise why not, for a 400 or a 426 answer.
std::string upgrade_refusal(const boost::beast::http::request<boost::beast::http::empty_body>& request,
                            bool& wrong_version);

// Sec-WebSocket-Accept for the client's Sec-WebSocket-Key: base64(SHA-1(key + the RFC's GUID)).
std::string websocket_accept(std::string_view client_key);

// The 101 Switching Protocols answer's bytes.
std::string switching_protocols(std::string_view client_key);

}  // namespace lanchat::host::edge

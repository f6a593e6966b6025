// The server's half of the WebSocket opening handshake (RFC 6455 4.2): what an upgrade request must carry
// beyond what beast::websocket::is_upgrade checks, and the 101 answer.
#pragma once

#include <boost/beast/http.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace lanchat::host::edge {

struct UpgradeRefusal {
    boost::beast::http::status status;  // 404, 403, 400, or 426 (the answer then asks for version 13)
    std::string why;
};

// Why `request` (already an upgrade, as beast::websocket::is_upgrade says) cannot become a WebSocket on the
// edge, or nothing: it is not for /ws, a browser page of another origin sent it (cross-site WebSocket
// hijacking), or its handshake headers are missing or name another WebSocket version.
std::optional<UpgradeRefusal> upgrade_refusal(
    const boost::beast::http::request<boost::beast::http::empty_body>& request);

// Sec-WebSocket-Accept for the client's Sec-WebSocket-Key: base64(SHA-1(key + the RFC's GUID)).
std::string websocket_accept(std::string_view client_key);

// The 101 Switching Protocols answer's bytes.
std::string switching_protocols(std::string_view client_key);

}  // namespace lanchat::host::edge

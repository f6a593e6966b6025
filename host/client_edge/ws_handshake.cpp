#include "client_edge/ws_handshake.hpp"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <array>

#include "client_edge/origin_check.hpp"

namespace lanchat::host::edge {
namespace http = boost::beast::http;

std::optional<UpgradeRefusal> upgrade_refusal(const http::request<http::empty_body>& request) {
    if (request.target() != "/ws") return UpgradeRefusal{http::status::not_found, "WebSocket connections go to /ws"};
    if (auto origin = request.find(http::field::origin); origin != request.end()) {
        if (!same_authority(origin->value(), request[http::field::host])) {
            return UpgradeRefusal{http::status::forbidden, "cross-origin WebSocket refused: the page's origin " +
                                                               std::string(origin->value()) + " is not this host"};
        }
    }
    if (request[http::field::sec_websocket_version] != "13") {
        return UpgradeRefusal{http::status::upgrade_required,
                              "WebSocket version 13 is the one spoken here (Sec-WebSocket-Version)"};
    }
    if (request[http::field::sec_websocket_key].empty()) {
        return UpgradeRefusal{http::status::bad_request, "Sec-WebSocket-Key is missing"};
    }
    return std::nullopt;
}

std::string websocket_accept(std::string_view client_key) {
    static constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    std::string keyed(client_key);
    keyed.append(kGuid);
    std::array<unsigned char, SHA_DIGEST_LENGTH> digest;
    SHA1(reinterpret_cast<const unsigned char*>(keyed.data()), keyed.size(), digest.data());
    std::array<unsigned char, 4 * ((SHA_DIGEST_LENGTH + 2) / 3) + 1> encoded;
    int length = EVP_EncodeBlock(encoded.data(), digest.data(), static_cast<int>(digest.size()));
    return {reinterpret_cast<const char*>(encoded.data()), static_cast<size_t>(length)};
}

std::string switching_protocols(std::string_view client_key) {
    return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
           websocket_accept(client_key) + "\r\nServer: lanchatd\r\n\r\n";
}

}  // namespace lanchat::host::edge

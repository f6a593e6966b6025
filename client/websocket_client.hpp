// A WebSocket-over-TLS client of the client edge, for the `lanchat` terminal client and the tests: verifies the
// node against the LAN's CA, optionally presents a device certificate. Beast stays inside the .cpp.
#pragma once

#include <boost/system/error_code.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "lanchat/sdk/status.hpp"

namespace lanchat::client {

struct Endpoint {
    std::string host = "127.0.0.1";
    std::string port = "8443";
    std::filesystem::path ca;                          // the LAN's CA certificate (PEM)
    std::string server_name = "gateway.lan-chat.svc";  // the name the node certificate must carry
    std::filesystem::path certificate;                 // optional device certificate and its key
    std::filesystem::path key;
    std::string target = "/ws";
    std::string origin;            // sent as Origin when not empty (what a browser would do)
    int receive_buffer_bytes = 0;  // SO_RCVBUF before connecting; 0: the system's (tests shrink it)
};

// "host:port" or "[v6]:port" into an Endpoint's host and port.
sdk::Status parse_address(const std::string& address, Endpoint& endpoint);

class WebSocketClient {
public:
    // Connects, completes TLS and the upgrade within `timeout`.
    static sdk::Result<std::unique_ptr<WebSocketClient>> connect(const Endpoint& endpoint,
                                                                 std::chrono::milliseconds timeout);
    ~WebSocketClient();

    sdk::Status send(const std::string& text);
    sdk::Status send_binary(const std::string& bytes);
    // The next text message. On timeout: DEADLINE_EXCEEDED (the connection is then unusable). When the server
    // closed: UNAVAILABLE, and close_code()/close_reason() say how.
    sdk::Result<std::string> receive(std::chrono::milliseconds timeout);
    // Sends a close frame and waits for the server's.
    void close(uint16_t code = 1000);

    // Interactive use: reads on this thread until the connection ends, calling `on_message` for each text
    // message; send_later() and close_later() may be called from any thread meanwhile (and from on_message).
    void run(const std::function<void(const std::string&)>& on_message);
    void send_later(std::string text);
    void close_later(uint16_t code = 1000);

    uint16_t close_code() const { return close_code_; }
    const std::string& close_reason() const { return close_reason_; }

    struct Impl;

private:
    explicit WebSocketClient(std::unique_ptr<Impl> impl);
    void record_ending(const boost::system::error_code& error);  // sets close_code_ and close_reason_
    std::unique_ptr<Impl> impl_;
    uint16_t close_code_ = 0;
    std::string close_reason_;
};

// TLS without WebSocket: what arrives before or instead of an upgrade (bad-input tests, bare handshakes).
class TlsClient {
public:
    static sdk::Result<std::unique_ptr<TlsClient>> connect(const Endpoint& endpoint, std::chrono::milliseconds timeout);
    ~TlsClient();
    sdk::Status write(const std::string& bytes);
    // Everything the server sends until it closes or `timeout` passes.
    std::string read_all(std::chrono::milliseconds timeout);

    struct Impl;

private:
    explicit TlsClient(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace lanchat::client

// EdgeClient: a person's client of a node's client edge, for the tests that drive the whole stack: JSON
// requests matched to their answers by id, every other frame (deliveries, typing, presence) kept in order.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "websocket_client.hpp"

namespace lanchat::testing {

// The edge at `address` (host:port), verified against the CA `ca`.
client::Endpoint edge_endpoint(const std::string& address, const std::filesystem::path& ca);

class EdgeClient {
public:
    // Connects and reads the hello; nullptr when either fails (the node is down or not ready).
    static std::unique_ptr<EdgeClient> connect(const client::Endpoint& endpoint,
                                               std::chrono::milliseconds timeout = std::chrono::seconds(5));

    // Sends `frame` with a fresh id and waits for its answer (type "ok" or "error"). When the connection
    // ends first: {"type": "(ended)", "why": ...}, and every later call answers the same at once.
    nlohmann::json request(nlohmann::json frame, std::chrono::milliseconds timeout = std::chrono::seconds(5));

    // The next frame that is not an answer, kept or newly read; "(ended)" as above, or after `timeout`
    // (which leaves the connection unusable: wait only for what must come).
    nlohmann::json next_pushed(std::chrono::milliseconds timeout);
    // The frames that are not answers kept so far, without reading more.
    std::deque<nlohmann::json> take_pushed() { return std::exchange(pushed_, {}); }

    // The hello frame the server greeted this connection with.
    const nlohmann::json& hello() const { return hello_; }
    bool ended() const { return ended_; }
    // How the server closed the connection (0 when it did not say), once ended().
    uint16_t close_code() const { return socket_->close_code(); }

private:
    explicit EdgeClient(std::unique_ptr<client::WebSocketClient> socket) : socket_(std::move(socket)) {}
    nlohmann::json read(std::chrono::milliseconds timeout);

    std::unique_ptr<client::WebSocketClient> socket_;
    std::deque<nlohmann::json> pushed_;
    nlohmann::json hello_;
    uint64_t requests_ = 0;
    bool ended_ = false;
    std::string why_;
};

}  // namespace lanchat::testing

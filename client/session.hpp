// Session: the client protocol's request/answer pairing over one WebSocket connection, read on a thread of
// its own so that pushed frames (messages, typing, presence) arrive while a request waits.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>

#include "websocket_client.hpp"

namespace lanchat::client {

// Owns the connection and its reading thread from start() until stop() (or destruction).
class Session {
public:
    explicit Session(std::unique_ptr<WebSocketClient> socket) : socket_(std::move(socket)) {}
    ~Session() { stop(); }

    // Starts reading; every frame that is not an answer goes to `on_push`, on the reading thread.
    void start(std::function<void(const nlohmann::json&)> on_push);
    // Closes and waits for the reader: no push arrives afterwards.
    void stop();

    // Sends `frame` with a fresh id and waits (15 s at most) for its ok answer. nullopt with `error` set
    // on an error answer, a timeout or the connection's end. Any thread but the reading one.
    std::optional<nlohmann::json> request(nlohmann::json frame, std::string& error);
    bool ended();

private:
    void received(const std::string& text);

    std::unique_ptr<WebSocketClient> socket_;
    std::thread reader_;
    std::function<void(const nlohmann::json&)> on_push_;
    std::mutex mutex_;
    std::condition_variable answered_;
    std::map<std::string, nlohmann::json> answers_;  // request id -> its answer, until request() takes it
    bool ended_ = false;
    int next_id_ = 0;
};

}  // namespace lanchat::client

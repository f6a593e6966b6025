// The terminal client's output of chat messages: one line per message, and a thread of its own for what the
// server pushes, so that looking up a name (a request) never blocks the connection's reader.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "chat_client.hpp"

namespace lanchat::client {

// "[channel #sequence] author: body" (or the edit/delete form) on stdout; may ask the server for the
// author's name first. Safe beside Printer's thread.
void print_message(ChatClient& client, const nlohmann::json& message, const std::string& channel_name);

// Prints pushed frames in order on its own thread, from construction until destruction; a frame pushed
// before destruction is still handled. `client` must outlive it.
class Printer {
public:
    explicit Printer(ChatClient& client) : client_(client), thread_([this] { loop(); }) {}
    ~Printer();
    void push(nlohmann::json frame);

private:
    void loop();
    void handle(const nlohmann::json& frame);

    ChatClient& client_;
    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<nlohmann::json> frames_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace lanchat::client

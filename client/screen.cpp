#include "screen.hpp"

#include <cstdint>
#include <iostream>

namespace lanchat::client {

using json = nlohmann::json;

namespace {
std::mutex output_mutex;  // the printer thread and the command loop both print messages
}  // namespace

void print_message(ChatClient& client, const json& message, const std::string& channel_name) {
    std::string author = client.name_of(message["author_id"]);  // may ask the server: before taking the lock
    std::lock_guard lock(output_mutex);
    std::string event = message.value("event", "posted");
    std::cout << "[" << channel_name << " #" << message["sequence"].get<uint64_t>() << "] " << author;
    if (event == "edited") std::cout << " (edited #" << message["target_sequence"].get<uint64_t>() << ")";
    if (event == "deleted") {
        std::cout << " deleted #" << message["target_sequence"].get<uint64_t>() << "\n";
        return;
    }
    if (event == "joined" || event == "left") {
        std::cout << " " << event << "\n";
        return;
    }
    std::cout << ": " << message["body"].get<std::string>() << "\n";
}

Printer::~Printer() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    ready_.notify_all();
    thread_.join();
}

void Printer::push(json frame) {
    {
        std::lock_guard lock(mutex_);
        frames_.push_back(std::move(frame));
    }
    ready_.notify_all();
}

void Printer::loop() {
    std::unique_lock lock(mutex_);
    for (;;) {
        ready_.wait(lock, [&] { return stopping_ || !frames_.empty(); });
        if (frames_.empty()) return;
        json frame = std::move(frames_.front());
        frames_.pop_front();
        lock.unlock();
        handle(frame);
        std::cout << std::flush;
        lock.lock();
    }
}

void Printer::handle(const json& frame) {
    if (frame["type"] == "message") {
        if (client_.first_time(frame["channel_id"], frame["sequence"])) {
            print_message(client_, frame, client_.channel_name(frame["channel_id"]));
        }
    } else if (frame["type"] == "resubscribe") {
        client_.subscribe();  // the gateway or router restarted: from where this client is
    } else if (frame["type"] == "subscription_ended") {
        std::cout << "(deliveries stopped: " << frame.value("message", "") << "; /quit and start again)\n";
    }
}

}  // namespace lanchat::client

#include "screen.hpp"

#include "mentions.hpp"

#include <cstdint>
#include <iostream>
#include <sstream>

namespace lanchat::client {

using json = nlohmann::json;

namespace {

std::mutex output_mutex;  // the printer thread and the command loop both print messages

constexpr const char* kHighlight = "\x1b[1;33m";  // bold yellow
constexpr const char* kPlain = "\x1b[0m";
constexpr char kBell = '\a';

}  // namespace

std::string format_message(ChatClient& client, const json& message, const std::string& channel_label) {
    std::string author = client.name_of(message["author_id"]);  // may ask the server
    std::string event = message.value("event", "posted");
    std::ostringstream line;
    line << "[" << channel_label << " #" << message["sequence"].get<uint64_t>() << "] " << author;
    if (event == "edited") line << " (edited #" << message["target_sequence"].get<uint64_t>() << ")";
    if (event == "deleted") {
        line << " deleted #" << message["target_sequence"].get<uint64_t>();
    } else if (event == "joined" || event == "left") {
        line << " " << event;
    } else {
        line << ": " << message["body"].get<std::string>();
    }
    return line.str();
}

void print_message(ChatClient& client, const json& message, const std::string& channel_label) {
    std::string line = format_message(client, message, channel_label);
    std::lock_guard lock(output_mutex);
    std::cout << line << "\n";
}

std::string chat_line(ChatClient& client, const json& message, bool styled) {
    std::string line = format_message(client, message, client.channel_label(message["channel_id"]));
    const bool posted = message.value("event", "posted") == "posted" || message.value("event", "") == "edited";
    if (!posted || message["author_id"] == client.my_id() || !mentions(message.value("body", ""), client.my_name())) {
        return line;
    }
    return (styled ? kHighlight + line + kPlain : line) + kBell;
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
        lock.lock();
    }
}

void Printer::handle(const json& frame) {
    if (frame["type"] == "message") {
        if (client_.first_delivery(frame["channel_id"], frame["sequence"])) {
            editor_.print(chat_line(client_, frame, styled_));
        }
    } else if (frame["type"] == "resubscribe") {
        client_.subscribe();  // the gateway or router restarted: from where this client is
    } else if (frame["type"] == "subscription_ended") {
        editor_.print("(deliveries stopped: " + frame.value("message", "") + "; /quit and start again)");
    }
}

}  // namespace lanchat::client

#include "chat_loop.hpp"

#include <unistd.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.hpp"

namespace lanchat::client {

using json = nlohmann::json;

namespace {

bool starts_with(const std::string& line, const char* prefix) { return line.rfind(prefix, 0) == 0; }

// What follows the command word, or nothing.
std::string argument_of(const std::string& line) {
    return line.find(' ') == std::string::npos ? std::string() : line.substr(line.find(' ') + 1);
}

// The channel typed lines go to, and what one line does.
class ChatLoop {
public:
    explicit ChatLoop(ChatClient& client) : client_(client) {}

    // Learns the channels' names, enters `start_channel` if given, subscribes and greets.
    bool begin(const std::optional<std::string>& start_channel) {
        json listed;
        if (!client_.call({{"type", "channels.list"}}, listed)) return false;
        for (const json& channel : listed["channels"]) remember(channel);
        if (start_channel) {
            auto channel = client_.find_channel(*start_channel);
            if (!channel) return false;
            current_ = *channel;
        }
        if (!client_.subscribe()) return false;
        std::cout << "connected; " << (current_.is_null() ? "/switch NAME to pick a channel" : "in " + current_name())
                  << "; /quit to leave\n";
        return true;
    }

    void handle(const std::string& line) {
        json ignored;
        if (line == "/channels") {
            channels_command(client_);
        } else if (starts_with(line, "/switch ") || starts_with(line, "/join ")) {
            enter(argument_of(line), starts_with(line, "/join "));
        } else if (starts_with(line, "/create ")) {
            create(argument_of(line));
        } else if (line == "/history") {
            if (!current_.is_null()) history_command(client_, current_["id"], 20);
        } else if (line == "/away" || line == "/online") {
            client_.call({{"type", "presence.set"}, {"status", line.substr(1)}}, ignored);
        } else if (line[0] == '/') {
            std::cout
                << "commands: /join NAME, /create NAME, /switch NAME, /channels, /history, /away, /online, /quit\n";
        } else if (current_.is_null()) {
            std::cout << "pick a channel first: /switch NAME or /join NAME\n";
        } else {
            say(line);
        }
    }

private:
    void enter(const std::string& name, bool join) {
        auto channel = client_.find_channel(name);
        if (!channel) return;
        json ignored;
        if (join && !client_.call({{"type", "channels.join"}, {"channel_id", (*channel)["id"]}}, ignored)) return;
        current_ = *channel;
        remember(current_);
        std::cout << "now in " << current_name() << "\n";
    }

    void create(const std::string& name) {
        json created;
        if (!client_.call({{"type", "channels.create"}, {"name", name}}, created)) return;
        current_ = created["channel"];
        remember(current_);
        std::cout << "created and now in " << current_name() << "\n";
    }

    void say(const std::string& line) {
        json ignored;
        client_.call({{"type", "send"},
                      {"channel_id", current_["id"]},
                      {"body", line},
                      {"client_message_id", "tty-" + std::to_string(getpid()) + "-" + std::to_string(++sent_)}},
                     ignored);
    }

    void remember(const json& channel) { client_.name_channel(channel["id"], channel["name"]); }
    std::string current_name() const { return current_["name"].get<std::string>(); }

    ChatClient& client_;
    json current_;  // null until a channel is picked
    int sent_ = 0;
};

}  // namespace

int chat(Session& session, ChatClient& client, const std::optional<std::string>& start_channel) {
    ChatLoop loop(client);
    if (!loop.begin(start_channel)) return kExitFailed;
    std::string line;
    while (std::getline(std::cin, line)) {
        if (session.ended()) break;
        if (line.empty()) continue;
        if (line == "/quit") break;
        loop.handle(line);
    }
    return kExitOk;
}

}  // namespace lanchat::client

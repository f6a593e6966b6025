#include "commands.hpp"

#include <unistd.h>

#include <cstdint>
#include <ctime>
#include <iostream>

#include "screen.hpp"

namespace lanchat::client {

using json = nlohmann::json;

int send_command(ChatClient& client, const std::vector<std::string>& words) {
    auto channel = client.find_channel(words[1]);
    if (!channel) return kExitFailed;
    std::string body;
    for (size_t i = 2; i < words.size(); ++i) body += (i > 2 ? " " : "") + words[i];
    json answer;
    if (!client.call({{"type", "send"},
                      {"channel_id", (*channel)["id"]},
                      {"body", body},
                      {"client_message_id", "cli-" + std::to_string(getpid()) + "-" + std::to_string(time(nullptr))}},
                     answer)) {
        return kExitFailed;
    }
    std::cout << answer["sequence"].get<uint64_t>() << "\n";
    return kExitOk;
}

int history_command(ChatClient& client, const std::string& name, int count) {
    auto channel = client.find_channel(name);
    if (!channel) return kExitFailed;
    json answer;
    if (!client.call({{"type", "history"}, {"channel_id", (*channel)["id"]}, {"before", 0}, {"limit", count}},
                     answer)) {
        return kExitFailed;
    }
    auto& messages = answer["messages"];
    for (auto it = messages.rbegin(); it != messages.rend(); ++it) print_message(client, *it, (*channel)["name"]);
    return kExitOk;
}

int channels_command(ChatClient& client) {
    json answer;
    if (!client.call({{"type", "channels.list"}}, answer)) return kExitFailed;
    for (const json& channel : answer["channels"]) {
        std::cout << channel["name"].get<std::string>() << "\t" << channel["kind"].get<std::string>() << "\t"
                  << channel["member_count"] << " members\t" << channel["last_sequence"] << " messages\t"
                  << channel["id"].get<std::string>() << "\n";
    }
    return kExitOk;
}

int create_command(ChatClient& client, const std::string& name, bool is_private) {
    json answer;
    return client.call({{"type", "channels.create"}, {"name", name}, {"kind", is_private ? "private" : "public"}},
                       answer)
               ? kExitOk
               : kExitFailed;
}

int join_command(ChatClient& client, const std::string& name) {
    auto channel = client.find_channel(name);
    json answer;
    return channel && client.call({{"type", "channels.join"}, {"channel_id", (*channel)["id"]}}, answer) ? kExitOk
                                                                                                         : kExitFailed;
}

}  // namespace lanchat::client

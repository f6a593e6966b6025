#include "chat_client.hpp"

#include <iostream>

namespace lanchat::client {

using json = nlohmann::json;

bool ChatClient::call(json frame, json& answer) {
    std::string error;
    auto got = session_.request(std::move(frame), error);
    if (!got) {
        std::cerr << "lanchat: " << error << "\n";
        return false;
    }
    answer = std::move(*got);
    return true;
}

std::optional<json> ChatClient::find_channel(const std::string& name) {
    json answer;
    if (!call({{"type", "channels.list"}}, answer)) return std::nullopt;
    for (const json& channel : answer["channels"]) {
        if (channel["name"] == name || channel["id"] == name) return channel;
    }
    std::cerr << "lanchat: no channel '" << name << "' (lanchat channels lists them)\n";
    return std::nullopt;
}

std::string ChatClient::name_of(const std::string& user_id) {
    {
        std::lock_guard lock(mutex_);
        if (auto it = names_.find(user_id); it != names_.end()) return it->second;
    }
    json answer;
    std::string name = user_id;
    if (call({{"type", "users.get"}, {"user_ids", {user_id}}}, answer) && !answer["users"].empty()) {
        name = answer["users"][0]["username"];
    }
    std::lock_guard lock(mutex_);
    names_[user_id] = name;
    return name;
}

void ChatClient::name_channel(const std::string& id, const std::string& name) {
    std::lock_guard lock(mutex_);
    channels_[id] = name;
}

std::string ChatClient::channel_name(const std::string& id) {
    std::lock_guard lock(mutex_);
    auto it = channels_.find(id);
    return it == channels_.end() ? id : it->second;
}

bool ChatClient::first_time(const std::string& channel_id, uint64_t sequence) {
    std::lock_guard lock(mutex_);
    uint64_t& last = last_seen_[channel_id];
    if (sequence <= last) return false;
    last = sequence;
    return true;
}

bool ChatClient::subscribe() {
    json resume = json::object();
    {
        std::lock_guard lock(mutex_);
        for (const auto& [channel, sequence] : last_seen_) resume[channel] = sequence;
    }
    json ignored;
    return call({{"type", "subscribe"}, {"resume", resume}}, ignored);
}

}  // namespace lanchat::client

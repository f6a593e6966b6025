#include "chat_client.hpp"

#include <algorithm>
#include <iostream>

namespace lanchat::client {

using json = nlohmann::json;

void ChatClient::set_error_sink(std::function<void(const std::string&)> sink) {
    std::lock_guard lock(mutex_);
    error_sink_ = std::move(sink);
}

void ChatClient::tell(const std::string& error) {
    std::function<void(const std::string&)> sink;
    {
        std::lock_guard lock(mutex_);
        sink = error_sink_;
    }
    if (sink) return sink(error);
    std::cerr << error << "\n";
}

bool ChatClient::call(json frame, json& answer) {
    std::string error;
    auto got = session_.request(std::move(frame), error);
    if (!got) {
        tell("lanchat: " + error);
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
    tell("lanchat: no channel '" + name + "' (lanchat channels lists them)");
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

void ChatClient::set_me(const json& user) {
    std::lock_guard lock(mutex_);
    me_ = user;
}

std::string ChatClient::my_id() {
    std::lock_guard lock(mutex_);
    return me_.value("id", "");
}

std::string ChatClient::my_name() {
    std::lock_guard lock(mutex_);
    return me_.value("username", "");
}

void ChatClient::remember_channel(const json& channel) {
    if (!channel.is_object() || !channel.contains("id")) return;
    std::lock_guard lock(mutex_);
    channels_[channel["id"]] = channel;
}

std::string ChatClient::channel_label(const std::string& id) {
    json channel;
    {
        std::lock_guard lock(mutex_);
        if (auto it = channels_.find(id); it != channels_.end()) channel = it->second;
    }
    if (channel.is_null()) {
        json answer;
        if (!call({{"type", "channels.get"}, {"channel_id", id}}, answer)) return id;
        channel = answer["channel"];
        remember_channel(channel);
    }
    std::string name = channel.value("name", id);
    if (channel.value("kind", "") != "direct") return name;
    // A direct channel is named by its two users' ids, "first,second": shown as the other one.
    size_t comma = name.find(',');
    if (comma == std::string::npos) return name;
    std::string first = name.substr(0, comma), second = name.substr(comma + 1);
    return "@" + name_of(first == my_id() ? second : first);
}

bool ChatClient::first_delivery(const std::string& channel_id, uint64_t sequence) {
    std::lock_guard lock(mutex_);
    uint64_t& last = last_seen_[channel_id];
    if (sequence <= last) return false;
    last = sequence;
    return claimed_.erase({channel_id, sequence}) == 0;
}

bool ChatClient::claim_own(const std::string& channel_id, uint64_t sequence) {
    std::lock_guard lock(mutex_);
    if (sequence <= last_seen_[channel_id]) return false;
    claimed_.emplace(channel_id, sequence);
    return true;
}

void ChatClient::mark_seen(const std::string& channel_id, uint64_t sequence) {
    std::lock_guard lock(mutex_);
    uint64_t& last = last_seen_[channel_id];
    last = std::max(last, sequence);
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

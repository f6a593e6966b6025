#include "frames.hpp"

#include "text.hpp"

namespace lanchat::gateway {
namespace {

constexpr size_t kMaxRequestId = 64;

[[noreturn]] void bad(const std::string& message) { throw Refusal("bad_request", message); }

}  // namespace

const json* Fields::find(const char* name) const {
    auto it = frame_.find(name);
    return it == frame_.end() || it->is_null() ? nullptr : &*it;
}

std::string Fields::text(const char* name, size_t max_bytes, bool required) const {
    std::optional<std::string> value = optional_text(name, max_bytes);
    if (!value) {
        if (required) bad(std::string("field '") + name + "' is required");
        return {};
    }
    return *value;
}

std::optional<std::string> Fields::optional_text(const char* name, size_t max_bytes) const {
    const json* value = find(name);
    if (value == nullptr) return std::nullopt;
    if (!value->is_string()) bad(std::string("field '") + name + "' must be a string");
    const std::string& text = value->get_ref<const std::string&>();
    if (text.size() > max_bytes) {
        throw Refusal("too_large", std::string("field '") + name + "' is " + std::to_string(text.size()) +
                                       " bytes; at most " + std::to_string(max_bytes));
    }
    return text;
}

uint64_t Fields::sequence(const char* name) const {
    std::optional<uint64_t> value = optional_sequence(name);
    if (!value) bad(std::string("field '") + name + "' is required");
    return *value;
}

std::optional<uint64_t> Fields::optional_sequence(const char* name) const {
    const json* value = find(name);
    if (value == nullptr) return std::nullopt;
    if (!value->is_number_unsigned() && !(value->is_number_integer() && value->get<int64_t>() >= 0)) {
        bad(std::string("field '") + name + "' must be a non-negative integer");
    }
    return value->get<uint64_t>();
}

bool Fields::flag(const char* name) const {
    const json* value = find(name);
    if (value == nullptr) return false;
    if (!value->is_boolean()) bad(std::string("field '") + name + "' must be true or false");
    return value->get<bool>();
}

std::vector<std::string> Fields::id_list(const char* name, size_t max_items) const {
    const json* value = find(name);
    if (value == nullptr || !value->is_array()) bad(std::string("field '") + name + "' must be an array of ids");
    if (value->size() > max_items) {
        throw Refusal("too_large", std::string("field '") + name + "' has " + std::to_string(value->size()) +
                                       " items; at most " + std::to_string(max_items));
    }
    std::vector<std::string> ids;
    for (const json& item : *value) {
        if (!item.is_string() || item.get_ref<const std::string&>().size() > 64) {
            bad(std::string("field '") + name + "' must hold only id strings (at most 64 bytes)");
        }
        ids.push_back(item.get<std::string>());
    }
    return ids;
}

std::map<std::string, uint64_t> Fields::positions(const char* name) const {
    std::map<std::string, uint64_t> result;
    const json* value = find(name);
    if (value == nullptr) return result;
    if (!value->is_object()) bad(std::string("field '") + name + "' must be an object of channel id -> sequence");
    if (value->size() > kMaxPositions) {
        throw Refusal("too_large", std::string("field '") + name + "' names more than " +
                                       std::to_string(kMaxPositions) + " channels");
    }
    for (const auto& [channel, sequence] : value->items()) {
        if (channel.size() > 64 ||
            !(sequence.is_number_unsigned() || (sequence.is_number_integer() && sequence.get<int64_t>() >= 0))) {
            bad(std::string("field '") + name + "' must map channel ids to non-negative integers");
        }
        result[channel] = sequence.get<uint64_t>();
    }
    return result;
}

json parse_frame(std::string_view text, std::string& request_id) {
    json frame = json::parse(text, nullptr, false);
    if (frame.is_discarded()) throw Refusal("bad_json", "the frame is not valid JSON");
    if (!frame.is_object()) throw Refusal("bad_json", "a frame must be a JSON object");
    if (auto id = frame.find("id"); id != frame.end() && !id->is_null()) {
        if (!id->is_string() || id->get_ref<const std::string&>().size() > kMaxRequestId) {
            bad("field 'id' must be a string of at most 64 bytes");
        }
        request_id = id->get<std::string>();
    }
    auto type = frame.find("type");
    if (type == frame.end() || !type->is_string()) bad("field 'type' (a string) is required");
    return frame;
}

std::string ok_frame(const std::string& request_id, json result) {
    if (!result.is_object()) result = json::object();
    result["type"] = "ok";
    if (!request_id.empty()) result["id"] = request_id;
    return result.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string error_frame(const std::string& request_id, const std::string& code, const std::string& message,
                        std::optional<int64_t> retry_after_ms) {
    json frame = {{"type", "error"}, {"code", code}, {"message", message}};
    if (!request_id.empty()) frame["id"] = request_id;
    if (retry_after_ms) frame["retry_after_ms"] = *retry_after_ms;
    return frame.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string error_code_of(const sdk::Status& status, const std::string& context) {
    const std::string& message = status.message();
    auto says = [&](const char* words) { return message.find(words) != std::string::npos; };
    switch (status.code()) {
        case sdk::Code::unauthenticated:
            if (says("another device")) return "wrong_device";
            if (says("expired")) return "token_expired";
            if (says("username or password")) return "auth_failed";
            return "token_invalid";
        case sdk::Code::permission_denied:
            if (says("not a member")) return "not_member";
            return "forbidden";
        case sdk::Code::not_found: return "not_found";
        case sdk::Code::already_exists: return "conflict";
        case sdk::Code::failed_precondition: return "conflict";
        case sdk::Code::out_of_range: return "out_of_range";
        case sdk::Code::resource_exhausted:
            if (says("disk is full")) return "unavailable";  // a store's write found no room: retry later
            return context == "auth" ? "throttled" : "rate_limited";
        case sdk::Code::invalid_argument:
            if (says("UTF-8") || says("body")) return says("bytes") && !says("UTF-8") ? "too_large" : "invalid_body";
            return "bad_request";
        case sdk::Code::unavailable:
        case sdk::Code::deadline_exceeded: return "unavailable";
        default: return "internal";
    }
}

const char* status_name(presence::v1::Status status) {
    switch (status) {
        case presence::v1::ONLINE: return "online";
        case presence::v1::AWAY: return "away";
        case presence::v1::DO_NOT_DISTURB: return "dnd";
        default: return "offline";
    }
}

json channel_json(const channel::v1::ChannelInfo& channel) {
    const char* kind = channel.kind() == channel::v1::PRIVATE  ? "private"
                       : channel.kind() == channel::v1::DIRECT ? "direct"
                                                               : "public";
    return {{"id", channel.id()},
            {"name", channel.name()},
            {"kind", kind},
            {"topic", channel.topic()},
            {"archived", channel.archived()},
            {"last_sequence", channel.last_sequence()},
            {"member_count", channel.member_count()}};
}

const char* event_name(channel::v1::Message::Event event) {
    switch (event) {
        case channel::v1::Message::EDITED: return "edited";
        case channel::v1::Message::DELETED: return "deleted";
        case channel::v1::Message::JOINED: return "joined";
        case channel::v1::Message::LEFT: return "left";
        default: return "posted";
    }
}

json message_json(const channel::v1::Message& message) {
    json frame = {{"type", "message"},
                  {"channel_id", message.channel_id()},
                  {"sequence", message.sequence()},
                  {"author_id", message.author_id()},
                  {"body", message.body()},
                  {"server_time_unix_ms", message.server_time_unix_ms()},
                  {"client_message_id", message.client_message_id()},
                  {"event", event_name(message.event())},
                  {"target_sequence", message.target_sequence()}};
    if (!message.actor_id().empty()) frame["actor_id"] = message.actor_id();
    return frame;
}

std::string message_frame(const channel::v1::Message& message) {
    return message_json(message).dump(-1, ' ', false, json::error_handler_t::replace);
}

json presence_json(const presence::v1::PresenceInfo& presence) {
    return {{"user_id", presence.user_id()},
            {"status", status_name(presence.status())},
            {"text", presence.status_text()},
            {"devices", presence.devices()},
            {"changed_unix_ms", presence.changed_unix_ms()}};
}

json user_json(const identity::v1::User& user) {
    return {{"id", user.id()}, {"username", user.username()}, {"display_name", user.display_name()}};
}

}  // namespace lanchat::gateway

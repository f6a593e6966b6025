// The client protocol's JSON frames (sdk-docs/client-protocol.md): reading request fields with exact errors,
// writing the objects the protocol names, and turning service statuses into the protocol's stable codes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "lanchat/channel/v1/channel.pb.h"
#include "lanchat/identity/v1/identity.pb.h"
#include "lanchat/presence/v1/presence.pb.h"
#include "lanchat/sdk/status.hpp"

namespace lanchat::gateway {

using json = nlohmann::json;

constexpr int kProtocolVersion = 1;

// The largest request field of each kind, in bytes.
constexpr size_t kMaxName = 64, kMaxSecret = 4096, kMaxToken = 8192, kMaxText = 1024, kMaxId = 64;

// Close codes the gateway sends (the protocol's table lists the host's too).
constexpr uint16_t kCloseNormal = 1000, kCloseAuthTimeout = 4001, kCloseTokenExpired = 4003, kCloseFlood = 4029;

// A request the gateway refuses before calling anything; carries a protocol error code.
struct Refusal : std::runtime_error {
    Refusal(std::string code, const std::string& message) : std::runtime_error(message), code(std::move(code)) {}
    std::string code;
};

// Typed access to one request's fields; each failure is a Refusal("bad_request") naming the field.
// The most channels one subscribe may name in `resume`: each named one may cost a catch-up from the history.
// A channel of the user's that is not named is followed from its end.
constexpr size_t kMaxPositions = 1000;

class Fields {
public:
    explicit Fields(const json& frame) : frame_(frame) {}

    std::string text(const char* name, size_t max_bytes, bool required = true) const;
    std::optional<std::string> optional_text(const char* name, size_t max_bytes) const;
    uint64_t sequence(const char* name) const;  // a non-negative integer
    std::optional<uint64_t> optional_sequence(const char* name) const;
    bool flag(const char* name) const;  // absent: false
    std::vector<std::string> id_list(const char* name, size_t max_items) const;
    // {"c_…": 12, ...}: channel id -> last sequence the client has; at most kMaxPositions channels.
    std::map<std::string, uint64_t> positions(const char* name) const;

private:
    const json* find(const char* name) const;
    const json& frame_;
};

// Parses one text frame: a JSON object with a string "type" and an optional string "id" of at most 64 bytes.
// A Refusal("bad_json" | "bad_request") otherwise; `request_id` is filled as soon as it is known.
json parse_frame(std::string_view text, std::string& request_id);

std::string ok_frame(const std::string& request_id, json result);
// With `retry_after_ms`: when the client may try again (an overloaded node, a connection over its budget).
std::string error_frame(const std::string& request_id, const std::string& code, const std::string& message,
                        std::optional<int64_t> retry_after_ms = std::nullopt);

// A service's failure as the protocol's code. `context` picks among the codes one status can mean
// ("auth" for logins and tokens, anything else for the rest).
std::string error_code_of(const sdk::Status& status, const std::string& context);

json channel_json(const channel::v1::ChannelInfo& channel);
// "posted", "edited", "deleted", "joined", "left".
const char* event_name(channel::v1::Message::Event event);
json message_json(const channel::v1::Message& message);
// The frame that delivers `message` (type "message"), as the bytes every connection is sent.
std::string message_frame(const channel::v1::Message& message);
json presence_json(const presence::v1::PresenceInfo& presence);
json user_json(const identity::v1::User& user);
const char* status_name(presence::v1::Status status);

}  // namespace lanchat::gateway

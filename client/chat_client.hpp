// ChatClient: what the terminal client asks the server over a Session, and what it remembers between
// requests (user and channel names, the last sequence delivered per channel).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "session.hpp"

namespace lanchat::client {

// Shared by the command loop and the screen's thread; `session` must outlive it.
class ChatClient {
public:
    explicit ChatClient(Session& session) : session_(session) {}

    // One request; on failure prints "lanchat: <why>" to stderr and returns false.
    bool call(nlohmann::json frame, nlohmann::json& answer);

    // A channel named NAME (or with that id) among those the user can see; says so on stderr when none.
    std::optional<nlohmann::json> find_channel(const std::string& name);

    // A user's name, asked once. Never from the reading thread: it waits for an answer that thread reads.
    std::string name_of(const std::string& user_id);

    void name_channel(const std::string& id, const std::string& name);
    std::string channel_name(const std::string& id);  // the id itself when the name is not known

    // Records a delivered sequence; false when this channel already had it (a repeat around a reconnect).
    bool first_time(const std::string& channel_id, uint64_t sequence);

    // (Re)subscribes from what this client has: nothing missed, nothing twice.
    bool subscribe();

private:
    Session& session_;
    std::mutex mutex_;
    std::map<std::string, std::string> names_;     // user id -> username
    std::map<std::string, std::string> channels_;  // channel id -> name
    std::map<std::string, uint64_t> last_seen_;    // channel id -> highest sequence delivered
};

}  // namespace lanchat::client

// ChatClient: what the terminal client asks the server over a Session, and what it remembers between
// requests (user and channel names, the last sequence delivered per channel).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "session.hpp"

namespace lanchat::client {

// Shared by the command loop and the screen's thread; `session` must outlive it.
class ChatClient {
public:
    explicit ChatClient(Session& session) : session_(session) {}

    // One request; on failure tells "lanchat: <why>" (to stderr, or where set_error_sink says) and returns
    // false.
    bool call(nlohmann::json frame, nlohmann::json& answer);
    // Where failures are told from now on (the chat prints them above its input line).
    void set_error_sink(std::function<void(const std::string&)> sink);

    // A channel named NAME (or with that id) among those the user can see; says so on stderr when none.
    std::optional<nlohmann::json> find_channel(const std::string& name);

    // A user's name, asked once. Never from the reading thread: it waits for an answer that thread reads.
    std::string name_of(const std::string& user_id);

    // Who this client is signed in as (the auth answer's `user`).
    void set_me(const nlohmann::json& user);
    std::string my_id();
    std::string my_name();

    // Remembers a channel object (from channels.list, .get, .create, direct.open) for channel_label().
    void remember_channel(const nlohmann::json& channel);
    // How a channel is shown: its name, or "@user" for a direct channel; a channel not seen yet is asked
    // for first (never from the reading thread), and its id shown when that fails.
    std::string channel_label(const std::string& id);

    // Records a delivered sequence; true when it is to be printed: false when this channel had it already
    // (a repeat around a reconnect, or shown by history) or it is our own, printed by claim_own().
    bool first_delivery(const std::string& channel_id, uint64_t sequence);
    // For a message we sent, once its send is answered: true when it is to be printed now (its delivery
    // then is not), false when its delivery came first and was printed.
    bool claim_own(const std::string& channel_id, uint64_t sequence);
    // What history showed counts as delivered.
    void mark_seen(const std::string& channel_id, uint64_t sequence);

    // (Re)subscribes from what this client has: nothing missed, nothing twice.
    bool subscribe();

private:
    void tell(const std::string& error);

    Session& session_;
    std::mutex mutex_;
    std::map<std::string, std::string> names_;        // user id -> username
    std::map<std::string, nlohmann::json> channels_;  // channel id -> channel
    nlohmann::json me_ = nlohmann::json::object();
    std::function<void(const std::string&)> error_sink_;
    std::map<std::string, uint64_t> last_seen_;           // channel id -> highest sequence delivered
    std::set<std::pair<std::string, uint64_t>> claimed_;  // our own messages printed before their delivery
};

}  // namespace lanchat::client

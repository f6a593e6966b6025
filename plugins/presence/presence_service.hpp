// PresenceService: per-user presence from the heartbeats of each device. In memory (presence is about
// now; a restarted node learns it again within one TTL), handed to the next instance on reload. Every
// change of a user's visible presence goes to the watchers of that user and to the audit record.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "lanchat/presence/v1/presence.pb.h"
#include "lanchat/sdk/status.hpp"
#include "message_sink.hpp"

namespace lanchat::presence {

// One Watch stream.
using WatchSink = plugin_support::MessageSink<v1::PresenceInfo>;

class PresenceService {
public:
    using Clock = std::function<int64_t()>;                        // unix milliseconds
    using Changed = std::function<void(const v1::PresenceInfo&)>;  // for the audit record

    PresenceService(int64_t device_ttl_ms, Clock clock, Changed changed);

    sdk::Result<v1::PresenceInfo> heartbeat(const v1::HeartbeatRequest& request);
    sdk::Result<v1::PresenceInfo> set_status(const v1::SetStatusRequest& request);
    sdk::Result<v1::PresenceInfo> disconnect(const v1::DisconnectRequest& request);
    sdk::Result<v1::GetReply> get(const v1::GetRequest& request);
    // Sends the current presence of each user, then keeps `sink` for their changes.
    sdk::Result<uint64_t> watch(const v1::WatchRequest& request, std::shared_ptr<WatchSink> sink);
    void unwatch(uint64_t id);
    void end_all(const sdk::Status& status);

    // Takes devices whose TTL passed offline. Called periodically.
    void expire();

    std::string export_state();
    sdk::Status import_state(const std::string& state);

private:
    struct Device {
        std::string edge;
        int64_t expires_unix_ms = 0;
    };
    struct User {
        v1::Status chosen = v1::ONLINE;
        std::string text;
        std::map<std::string, Device> devices;
        v1::PresenceInfo shown;  // what watchers last saw
    };
    v1::PresenceInfo describe_locked(const std::string& user_id, const User& user) const;
    // Publishes the user's presence if what others see changed.
    void publish_locked(const std::string& user_id, User& user);

    int64_t device_ttl_ms_;
    Clock clock_;
    Changed changed_;
    mutable std::recursive_mutex mutex_;
    std::unordered_map<std::string, User> users_;
    uint64_t next_watch_ = 1;
    std::unordered_map<uint64_t, std::pair<std::set<std::string>, std::shared_ptr<WatchSink>>> watches_;
    std::unordered_multimap<std::string, uint64_t> watchers_;
};

}  // namespace lanchat::presence

#include "presence_service.hpp"

#include "checks.hpp"
#include "text.hpp"

namespace lanchat::presence {
namespace {

using plugin_support::check_id;

constexpr size_t kMaxText = 128;
constexpr int kMaxUsersPerRequest = 1000;
constexpr size_t kMaxDevicesPerUser = 32;

sdk::Status check_users(const google::protobuf::RepeatedPtrField<std::string>& users) {
    if (users.empty() || users.size() > kMaxUsersPerRequest) {
        return sdk::invalid_argument("user_ids must name 1 to " + std::to_string(kMaxUsersPerRequest) + " users");
    }
    for (const std::string& user : users) {
        if (sdk::Status checked = check_id("user_ids[]", user); !checked.ok()) return checked;
    }
    return {};
}

bool same_view(const v1::PresenceInfo& a, const v1::PresenceInfo& b) {
    return a.status() == b.status() && a.status_text() == b.status_text() && a.devices() == b.devices();
}

}  // namespace

PresenceService::PresenceService(int64_t device_ttl_ms, Clock clock, Changed changed)
    : device_ttl_ms_(device_ttl_ms), clock_(std::move(clock)), changed_(std::move(changed)) {}

v1::PresenceInfo PresenceService::describe_locked(const std::string& user_id, const User& user) const {
    v1::PresenceInfo info;
    info.set_user_id(user_id);
    info.set_status(user.devices.empty() ? v1::OFFLINE : user.chosen);
    info.set_status_text(user.text);
    info.set_devices(static_cast<uint32_t>(user.devices.size()));
    std::set<std::string> edges;
    for (const auto& [device, state] : user.devices) edges.insert(state.edge);
    for (const std::string& edge : edges) info.add_edges(edge);
    info.set_changed_unix_ms(user.shown.changed_unix_ms());
    return info;
}

void PresenceService::publish_locked(const std::string& user_id, User& user) {
    v1::PresenceInfo now = describe_locked(user_id, user);
    const bool status_changed = now.status() != user.shown.status() || now.status_text() != user.shown.status_text();
    if (same_view(now, user.shown) && user.shown.edges_size() == now.edges_size()) return;
    now.set_changed_unix_ms(clock_());
    user.shown = now;
    std::vector<uint64_t> gone;
    auto [begin, end] = watchers_.equal_range(user_id);
    for (auto it = begin; it != end; ++it) {
        if (!watches_.at(it->second).second->deliver(now)) gone.push_back(it->second);
    }
    for (uint64_t id : gone) {
        auto sink = watches_.at(id).second;
        unwatch(id);
        sink->end({sdk::Code::resource_exhausted, "the watcher cannot keep up; watch again"});
    }
    if (status_changed) changed_(now);
}

sdk::Result<v1::PresenceInfo> PresenceService::heartbeat(const v1::HeartbeatRequest& request) {
    for (auto [what, id] : {std::pair{"user_id", &request.user_id()}, std::pair{"device_id", &request.device_id()},
                            std::pair{"edge_id", &request.edge_id()}}) {
        if (sdk::Status checked = check_id(what, *id); !checked.ok()) return checked;
    }
    std::lock_guard lock(mutex_);
    User& user = users_[request.user_id()];
    if (user.devices.size() >= kMaxDevicesPerUser && user.devices.count(request.device_id()) == 0) {
        return sdk::Status(sdk::Code::resource_exhausted, "at most 32 devices per user are online at once");
    }
    user.devices[request.device_id()] = {request.edge_id(), clock_() + device_ttl_ms_};
    publish_locked(request.user_id(), user);
    return describe_locked(request.user_id(), user);
}

sdk::Result<v1::PresenceInfo> PresenceService::set_status(const v1::SetStatusRequest& request) {
    if (sdk::Status checked = check_id("user_id", request.user_id()); !checked.ok()) return checked;
    if (request.status() != v1::ONLINE && request.status() != v1::AWAY && request.status() != v1::DO_NOT_DISTURB) {
        return sdk::invalid_argument(
            "status must be ONLINE, AWAY or DO_NOT_DISTURB (OFFLINE follows from the devices)");
    }
    if (request.status_text().size() > kMaxText || !plugin_support::is_valid_utf8(request.status_text())) {
        return sdk::invalid_argument("status_text must be valid UTF-8 of at most 128 bytes");
    }
    std::lock_guard lock(mutex_);
    User& user = users_[request.user_id()];
    user.chosen = request.status();
    user.text = request.status_text();
    publish_locked(request.user_id(), user);
    return describe_locked(request.user_id(), user);
}

sdk::Result<v1::PresenceInfo> PresenceService::disconnect(const v1::DisconnectRequest& request) {
    if (sdk::Status checked = check_id("user_id", request.user_id()); !checked.ok()) return checked;
    if (sdk::Status checked = check_id("device_id", request.device_id()); !checked.ok()) return checked;
    std::lock_guard lock(mutex_);
    User& user = users_[request.user_id()];
    user.devices.erase(request.device_id());
    publish_locked(request.user_id(), user);
    return describe_locked(request.user_id(), user);
}

sdk::Result<v1::GetReply> PresenceService::get(const v1::GetRequest& request) {
    if (sdk::Status checked = check_users(request.user_ids()); !checked.ok()) return checked;
    std::lock_guard lock(mutex_);
    v1::GetReply reply;
    static const User kNobody;
    for (const std::string& user_id : request.user_ids()) {
        auto found = users_.find(user_id);
        *reply.add_users() = describe_locked(user_id, found == users_.end() ? kNobody : found->second);
    }
    return reply;
}

sdk::Result<uint64_t> PresenceService::watch(const v1::WatchRequest& request, std::shared_ptr<WatchSink> sink) {
    if (sdk::Status checked = check_users(request.user_ids()); !checked.ok()) return checked;
    std::lock_guard lock(mutex_);
    const uint64_t id = next_watch_++;
    std::set<std::string> users(request.user_ids().begin(), request.user_ids().end());
    for (const std::string& user_id : users) {
        auto found = users_.find(user_id);
        if (!sink->deliver(describe_locked(user_id, found == users_.end() ? User() : found->second))) {
            return sdk::Status(sdk::Code::resource_exhausted, "the watcher cannot keep up");
        }
    }
    // Registered only once every snapshot went out, so a refused watch leaves nothing behind.
    for (const std::string& user_id : users) watchers_.emplace(user_id, id);
    watches_[id] = {std::move(users), std::move(sink)};
    return id;
}

void PresenceService::unwatch(uint64_t id) {
    std::lock_guard lock(mutex_);
    auto found = watches_.find(id);
    if (found == watches_.end()) return;
    for (const std::string& user_id : found->second.first) {
        auto [begin, end] = watchers_.equal_range(user_id);
        for (auto it = begin; it != end; ++it) {
            if (it->second == id) {
                watchers_.erase(it);
                break;
            }
        }
    }
    watches_.erase(found);
}

void PresenceService::end_all(const sdk::Status& status) {
    std::lock_guard lock(mutex_);
    std::vector<uint64_t> ids;
    for (const auto& [id, watch] : watches_) ids.push_back(id);
    for (uint64_t id : ids) {
        auto sink = watches_.at(id).second;
        unwatch(id);
        sink->end(status);
    }
}

void PresenceService::expire() {
    std::lock_guard lock(mutex_);
    const int64_t now = clock_();
    for (auto& [user_id, user] : users_) {
        const size_t before = user.devices.size();
        std::erase_if(user.devices, [&](const auto& device) { return device.second.expires_unix_ms <= now; });
        if (user.devices.size() != before) publish_locked(user_id, user);
    }
}

// The devices and chosen statuses, as a GetReply whose entries carry each device as an edge "device@edge"
// and the expiry in changed_unix_ms — a private format between two instances of this plugin.
std::string PresenceService::export_state() {
    std::lock_guard lock(mutex_);
    v1::GetReply state;
    for (const auto& [user_id, user] : users_) {
        for (const auto& [device, live] : user.devices) {
            v1::PresenceInfo& entry = *state.add_users();
            entry.set_user_id(user_id);
            entry.set_status(user.chosen);
            entry.set_status_text(user.text);
            entry.add_edges(device + "@" + live.edge);
            entry.set_changed_unix_ms(live.expires_unix_ms);
        }
    }
    return state.SerializeAsString();
}

sdk::Status PresenceService::import_state(const std::string& bytes) {
    v1::GetReply state;
    if (!state.ParseFromString(bytes)) return sdk::invalid_argument("presence state does not parse");
    std::lock_guard lock(mutex_);
    for (const v1::PresenceInfo& entry : state.users()) {
        if (entry.edges_size() != 1) return sdk::invalid_argument("presence state entry without its device");
        const std::string& where = entry.edges(0);
        const size_t at = where.rfind('@');
        if (at == std::string::npos) return sdk::invalid_argument("presence state device without its edge");
        User& user = users_[entry.user_id()];
        user.chosen = entry.status();
        user.text = entry.status_text();
        user.devices[where.substr(0, at)] = {where.substr(at + 1), entry.changed_unix_ms()};
        user.shown = describe_locked(entry.user_id(), user);
    }
    return {};
}

}  // namespace lanchat::presence

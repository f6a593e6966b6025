#include "mesh/etcd_membership.hpp"

#include <algorithm>
#include <limits>

#include "logging/log.hpp"
#include "mesh/member_endpoints.hpp"
#include "mesh/mesh_client.hpp"

namespace lanchat::host::mesh {
namespace {

// Long enough for a member under load, short enough that a dead one is left quickly for the next.
constexpr std::chrono::milliseconds kCallTimeout{2000};
// Between attempts to follow the membership again after the watch broke (an election takes a few seconds).
constexpr std::chrono::milliseconds kRetryPause{500};

int64_t unix_ms_now() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string address_of(const discovery::v1::Node& node) {
    return node.addresses().empty() ? std::string("no address") : node.addresses(0);
}

}  // namespace

EtcdMembership::EtcdMembership(const EtcdConfig& config, discovery::v1::Node self, MeshClient& client, NodeLog& log)
    : prefix_(config.prefix),
      ttl_(config.lease_ttl),
      etcd_(config.endpoints, kCallTimeout),
      client_(client),
      log_(log),
      self_(std::move(self)) {}

sdk::Result<std::unique_ptr<EtcdMembership>> EtcdMembership::join(const EtcdConfig& config, discovery::v1::Node self,
                                                                  MeshClient& client, NodeLog& log) {
    std::unique_ptr<EtcdMembership> membership(new EtcdMembership(config, std::move(self), client, log));
    const std::string where = "[discovery] etcd (" + config.endpoints_at + ")";
    sdk::Status reached = sdk::unavailable("no etcd URL");
    for (size_t attempt = 0; attempt < config.endpoints.size(); ++attempt) {  // each member once
        auto lease = membership->etcd_.grant_lease(config.lease_ttl);
        reached = lease.status();
        if (lease.ok()) {
            membership->lease_ = *lease;
            break;
        }
    }
    if (!reached.ok()) {
        return sdk::unavailable("cannot reach etcd at " + membership->etcd_.urls() + ", named by " + where + ": " +
                                reached.message() + "; start etcd there or correct the URLs");
    }
    sdk::Status joined = membership->claim_name();
    if (joined.ok()) {
        for (size_t attempt = 0; attempt < config.endpoints.size(); ++attempt) {
            joined = membership->read_membership();
            if (joined.ok()) break;
        }
    }
    if (!joined.ok()) {
        (void)membership->etcd_.revoke(membership->lease_);
        membership->lease_ = 0;
        return sdk::Status(joined.code(), where + ": " + joined.message());
    }
    membership->keeper_ = std::jthread([raw = membership.get()](std::stop_token stop) { raw->keep(stop); });
    membership->follower_ = std::jthread([raw = membership.get()](std::stop_token stop) { raw->follow(stop); });
    log.info("joined the cluster in etcd", {{"etcd", membership->etcd_.urls()},
                                            {"key", membership->key()},
                                            {"nodes", std::to_string(membership->nodes().size())},
                                            {"lease_ttl_s", std::to_string(config.lease_ttl.count())}});
    return membership;
}

EtcdMembership::~EtcdMembership() {
    keeper_.request_stop();
    follower_.request_stop();
    watch_cancel_.cancel();
    if (keeper_.joinable()) keeper_.join();
    if (follower_.joinable()) follower_.join();
    if (lease_ == 0) return;  // never joined
    if (sdk::Status revoked = etcd_.revoke(lease_); !revoked.ok()) {
        log_.warn("cannot revoke this node's lease in etcd: the other nodes drop it when the lease runs out",
                  {{"reason", revoked.message()}, {"lease_ttl_s", std::to_string(ttl_.count())}});
        return;
    }
    log_.info("left the cluster in etcd", {{"key", key()}});
}

void EtcdMembership::set_services(std::vector<std::string> services) {
    std::lock_guard lock(mutex_);
    self_.clear_services();
    for (std::string& service : services) self_.add_services(std::move(service));
    services_changed_ = true;
    wake_.notify_all();
}

std::vector<discovery::v1::Node> EtcdMembership::nodes() const {
    std::lock_guard lock(mutex_);
    std::vector<discovery::v1::Node> nodes;
    for (const auto& [name, node] : members_) nodes.push_back(node);
    return nodes;
}

std::string EtcdMembership::record() const {
    std::lock_guard lock(mutex_);
    discovery::v1::Node written = self_;
    written.set_last_seen_unix_ms(unix_ms_now());
    return written.SerializeAsString();
}

// A holder that renews is alive: its lease's time left goes back up. One that stopped renewing runs down to
// zero and etcd deletes its key shortly after (its expiry sweep runs every half second, then through raft).
sdk::Status EtcdMembership::claim_name() {
    int64_t left_before = std::numeric_limits<int64_t>::max();
    auto give_up = std::chrono::steady_clock::time_point::max();
    for (;;) {
        auto held = etcd_.create(key(), record(), lease_);
        if (!held.ok()) return held.status();
        if (!held->has_value()) return {};
        discovery::v1::Node holder;
        holder.ParseFromString((*held)->value);
        auto left = etcd_.time_to_live((*held)->lease);
        if (!left.ok()) return left.status();
        if (give_up == std::chrono::steady_clock::time_point::max()) {
            log_.warn(
                "this node's name is held in etcd by another lease: waiting for it to run out, as it does "
                "when its node is gone",
                {{"key", key()}, {"holder", address_of(holder)}, {"seconds", std::to_string(*left)}});
            give_up = std::chrono::steady_clock::now() + std::chrono::seconds(std::max<int64_t>(*left, 0) + 3);
        }
        if (*left > left_before || std::chrono::steady_clock::now() > give_up) {
            return {sdk::Code::already_exists,
                    "node name '" + self_.node_id() + "' is held in etcd (key " + key() + ") by a live node at " +
                        address_of(holder) +
                        ", which kept renewing its lease: stop that node, or give this one another [node] name"};
        }
        left_before = *left;
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        if (sdk::Status kept = keep_own_lease_while_waiting(); !kept.ok()) return kept;
    }
}

sdk::Status EtcdMembership::keep_own_lease_while_waiting() {
    auto ttl = etcd_.keep_alive(lease_);
    if (ttl.ok() && *ttl > 0) return {};
    auto lease = etcd_.grant_lease(ttl_);
    if (!lease.ok()) return lease.status();
    lease_ = *lease;
    return {};
}

sdk::Status EtcdMembership::read_membership() {
    auto snapshot = etcd_.list(prefix_);
    if (!snapshot.ok()) return snapshot.status();
    replace(*snapshot);
    return {};
}

void EtcdMembership::keep(std::stop_token stop) {
    const auto period = std::chrono::duration_cast<std::chrono::milliseconds>(ttl_) / 3;
    while (pause(stop, period, true)) renew();
}

void EtcdMembership::renew() {
    int64_t lease = 0;
    bool changed = false;
    {
        std::lock_guard lock(mutex_);
        lease = lease_;
        changed = services_changed_;
        services_changed_ = false;
    }
    if (changed) {
        sdk::Status written = etcd_.put(key(), record(), lease);
        note("update this node's record", written);
        if (!written.ok()) {
            std::lock_guard lock(mutex_);
            services_changed_ = true;
        }
    }
    auto ttl = etcd_.keep_alive(lease);
    note("renew this node's lease", ttl.status());
    if (ttl.ok() && *ttl <= 0) register_again();
}

void EtcdMembership::register_again() {
    auto lease = etcd_.grant_lease(ttl_);
    if (!lease.ok()) return note("register this node again", lease.status());
    auto held = etcd_.create(key(), record(), *lease);
    if (held.ok() && held->has_value()) {
        discovery::v1::Node holder;
        holder.ParseFromString((*held)->value);
        held = sdk::Status(sdk::Code::already_exists, "another node at " + address_of(holder) +
                                                          " took this node's name while its lease had run out");
    }
    if (!held.ok()) {
        (void)etcd_.revoke(*lease);
        return note("register this node again", held.status());
    }
    {
        std::lock_guard lock(mutex_);
        lease_ = *lease;
    }
    note("register this node again", {});
    log_.info("registered again in etcd after this node's lease had run out", {{"key", key()}});
}

void EtcdMembership::follow(std::stop_token stop) {
    bool read = true;  // join has just read the membership
    while (!stop.stop_requested()) {
        if (!read) {
            sdk::Status status = read_membership();
            note("follow the membership", status);
            if (!status.ok()) {
                if (!pause(stop, kRetryPause, false)) return;
                continue;
            }
        }
        read = false;
        int64_t from = 0;
        {
            std::lock_guard lock(mutex_);
            from = revision_ + 1;
        }
        sdk::Status ended = etcd_.watch(
            prefix_, from, [this](const std::vector<etcd::Change>& changes) { apply(changes); }, watch_cancel_);
        if (ended.code() == sdk::Code::cancelled) return;
        note("follow the membership", ended);
        if (!pause(stop, kRetryPause, false)) return;
    }
}

void EtcdMembership::replace(const etcd::Snapshot& snapshot) {
    std::vector<etcd::Change> changes;
    {
        std::lock_guard lock(mutex_);
        revision_ = snapshot.revision;
        for (const auto& [name, node] : members_) {
            bool still = std::any_of(snapshot.records.begin(), snapshot.records.end(),
                                     [&](const etcd::KeyValue& record) { return record.key == prefix_ + name; });
            if (!still) changes.push_back({true, {prefix_ + name, "", 0}});
        }
    }
    for (const etcd::KeyValue& record : snapshot.records) changes.push_back({false, record});
    apply(changes);
}

void EtcdMembership::apply(const std::vector<etcd::Change>& changes) {
    bool changed = false;
    for (const etcd::Change& change : changes) {
        if (!change.deleted) {
            changed = update(change.record) || changed;
            continue;
        }
        std::string name = change.record.key.substr(prefix_.size());
        std::unique_lock lock(mutex_);
        auto gone = members_.find(name);
        if (gone == members_.end()) continue;
        std::string address = address_of(gone->second);
        members_.erase(gone);
        lock.unlock();
        changed = true;
        log_.info("a node left the cluster", {{"member", name}, {"address", address}});
    }
    if (changed) publish();
}

bool EtcdMembership::update(const etcd::KeyValue& record) {
    discovery::v1::Node node;
    const std::string name = record.key.substr(prefix_.size());
    if (!node.ParseFromString(record.value) || node.node_id() != name) {
        log_.warn("ignoring an etcd record under the membership prefix that is no node's",
                  {{"key", record.key}, {"bytes", std::to_string(record.value.size())}});
        return false;
    }
    std::unique_lock lock(mutex_);
    auto [entry, joined] = members_.insert_or_assign(name, node);
    lock.unlock();
    if (joined) {
        log_.info(
            "a node joined the cluster",
            {{"member", name}, {"address", address_of(node)}, {"services", std::to_string(node.services_size())}});
    }
    return true;
}

void EtcdMembership::publish() {
    std::string self;
    {
        std::lock_guard lock(mutex_);
        self = self_.node_id();
    }
    client_.set_discovered(member_endpoints(nodes(), self));
}

void EtcdMembership::note(const std::string& activity, const sdk::Status& status) {
    bool was_troubled = false;
    {
        std::lock_guard lock(mutex_);
        bool& troubled = troubled_[activity];
        was_troubled = troubled;
        troubled = !status.ok();
    }
    if (!status.ok() && !was_troubled) {
        log_.warn("etcd: cannot " + activity + "; keeping the last membership and retrying",
                  {{"etcd", etcd_.urls()}, {"reason", status.message()}});
    } else if (status.ok() && was_troubled) {
        log_.info("etcd: can " + activity + " again", {{"etcd", etcd_.urls()}});
    }
}

bool EtcdMembership::pause(std::stop_token stop, std::chrono::milliseconds period, bool until_services_change) {
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, stop, period, [&] { return until_services_change && services_changed_; });
    return !stop.stop_requested();
}

}  // namespace lanchat::host::mesh

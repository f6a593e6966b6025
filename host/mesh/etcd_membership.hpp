// EtcdMembership: this node's place in a cluster whose membership lives in etcd ([discovery] etcd). The node's
// record (name, mesh address, services, client address) is the key <prefix><name> under a lease it keeps
// alive; every node's record is followed by watching the prefix, so the routing table follows joins and
// departures while the node runs. A node that dies disappears when its lease runs out.
// When etcd cannot be reached the node keeps the last membership it saw (calls keep going where they went)
// and retries; if its lease ran out meanwhile, it registers again once etcd is back.
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "config/node_config.hpp"
#include "etcd/etcd_client.hpp"
#include "host_fwd.hpp"
#include "lanchat/discovery/v1/discovery.pb.h"
#include "lanchat/sdk/status.hpp"

namespace lanchat::host::mesh {

class EtcdMembership {
public:
    // Registers `self` and reads the membership, before returning. Refuses (UNAVAILABLE) when no etcd member
    // answers, and (ALREADY_EXISTS) when a live node holds the name: a name whose holder stops renewing is
    // waited for, up to the holder's lease TTL, so a node restarted after a crash takes its own name back.
    static sdk::Result<std::unique_ptr<EtcdMembership>> join(const EtcdConfig& config, discovery::v1::Node self,
                                                             MeshClient& client, NodeLog& log);
    // Stops following and revokes the lease, so the other nodes see this one leave at once.
    ~EtcdMembership();

    // The services this node registers from now on (plugins added or removed by SIGHUP).
    void set_services(std::vector<std::string> services);
    // Every registered node as last seen, this one included, in name order.
    std::vector<discovery::v1::Node> nodes() const;

private:
    EtcdMembership(const EtcdConfig& config, discovery::v1::Node self, MeshClient& client, NodeLog& log);

    sdk::Status claim_name();
    // While claim_name() waits for an old holder, this node's own lease must not run out: the keeper starts
    // only once the node has joined. A lease that ran out anyway is replaced by a new one.
    sdk::Status keep_own_lease_while_waiting();
    sdk::Status read_membership();
    void keep(std::stop_token stop);    // renews the lease; registers again after it was lost
    void follow(std::stop_token stop);  // watches the prefix; reads it whole again after the watch broke
    void renew();
    void register_again();
    void replace(const etcd::Snapshot& snapshot);
    void apply(const std::vector<etcd::Change>& changes);
    bool update(const etcd::KeyValue& record);  // false when the record is not a node's
    void publish();
    // Logs an activity's failure once when it starts and once when it ends, so an etcd that is down does not
    // flood the log.
    void note(const std::string& activity, const sdk::Status& status);
    // Waits `period`, or less when stopping (then false) or, if asked, when the services change.
    bool pause(std::stop_token stop, std::chrono::milliseconds period, bool until_services_change);
    std::string key() const { return prefix_ + self_.node_id(); }
    std::string record() const;  // this node's record as it is written to etcd

    const std::string prefix_;
    const std::chrono::seconds ttl_;
    etcd::Client etcd_;
    MeshClient& client_;
    NodeLog& log_;

    mutable std::mutex mutex_;  // guards everything below
    discovery::v1::Node self_;
    bool services_changed_ = false;
    int64_t lease_ = 0;
    int64_t revision_ = 0;  // of the membership read at join; the watch starts after it
    std::map<std::string, discovery::v1::Node> members_;
    std::map<std::string, bool> troubled_;  // by activity: its last attempt failed
    std::condition_variable_any wake_;
    etcd::WatchCancel watch_cancel_;
    std::jthread keeper_;
    std::jthread follower_;
};

}  // namespace lanchat::host::mesh

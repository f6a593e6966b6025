// EtcdCluster: real etcd members (Debian's etcd-server) on loopback for the tests of cluster membership: each
// member's data in a temporary directory, its ports free ones, every member killed when the cluster goes.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "child_process.hpp"
#include "temp_dir.hpp"

namespace lanchat::testing {

class EtcdCluster {
public:
    // Starts `members` members (1, or 3 for elections) and waits until each serves clients. Throws with the
    // members' output when one does not.
    explicit EtcdCluster(size_t members = 1);
    ~EtcdCluster();
    EtcdCluster(const EtcdCluster&) = delete;
    EtcdCluster& operator=(const EtcdCluster&) = delete;

    // Every member's client URL, as a node file's [discovery] etcd value: ["http://127.0.0.1:P", ...].
    std::string toml_urls() const;
    std::string client_url(size_t member) const { return members_[member].client_url; }
    // Which member leads now (asked with etcdctl); throws when no member knows a leader.
    size_t leader() const;
    // True once a member that still runs knows a leader.
    bool has_leader() const;
    void kill(size_t member);     // SIGKILL, as a machine's crash would
    void stop(size_t member);     // SIGTERM, as an operator would, and waits for it to exit
    void restart(size_t member);  // starts a stopped or killed member again on its own data and ports

private:
    struct Member {
        std::string name;
        std::string client_url;
        std::string peer_url;
        std::unique_ptr<ChildProcess> process;
    };
    void start(size_t member, const std::string& state);
    std::string initial_cluster() const;

    TempDir dir_;
    std::vector<Member> members_;
};

}  // namespace lanchat::testing

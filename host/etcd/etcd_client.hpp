// etcd::Client: the calls of etcd's v3 gRPC API that cluster membership needs (leases, a conditional put,
// a prefix read and a prefix watch), over plain HTTP/2 to etcd's client URLs through the host's own gRPC
// library. Every call has a deadline. A call that cannot reach its member moves the client to the next URL
// of the list, so the caller's next attempt finds a live member after a member's death; nothing here
// retries by itself (the caller decides what a failure means). Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "lanchat/sdk/status.hpp"

namespace grpc {
class ClientContext;
}

namespace lanchat::host::etcd {

struct KeyValue {
    std::string key;
    std::string value;
    int64_t lease = 0;  // 0: the key is under no lease
};

// The keys under a prefix, as of one revision of etcd's store.
struct Snapshot {
    std::vector<KeyValue> records;
    int64_t revision = 0;
};

struct Change {
    bool deleted = false;  // the key is gone (deleted, or its lease expired); only record.key is set
    KeyValue record;
};

// Ends a watch() blocked on another thread: the one running now and any started after cancel().
class WatchCancel {
public:
    void cancel();

private:
    friend class Client;
    bool attach(grpc::ClientContext* context);  // false once cancelled
    void detach();

    std::mutex mutex_;
    grpc::ClientContext* context_ = nullptr;
    bool cancelled_ = false;
};

class Client {
public:
    // `urls` are etcd client URLs ("http://host:port"), already checked by the node file's reader.
    Client(std::vector<std::string> urls, std::chrono::milliseconds call_timeout);
    ~Client();

    // The URLs as one string, for messages: "http://a:2379, http://b:2379".
    std::string urls() const;

    // A new lease of `ttl` (etcd may round it up); its id.
    sdk::Result<int64_t> grant_lease(std::chrono::seconds ttl);
    // Renews `lease`; its TTL from now, or 0 when etcd no longer has it (it expired or was revoked).
    sdk::Result<int64_t> keep_alive(int64_t lease);
    // The seconds `lease` has left, or -1 when etcd no longer has it.
    sdk::Result<int64_t> time_to_live(int64_t lease);
    // Ends `lease` now: every key under it is deleted.
    sdk::Status revoke(int64_t lease);

    // Writes key = value under `lease` only when the key does not exist (in one transaction). Nothing when it
    // wrote; the record that holds the key when it did not.
    sdk::Result<std::optional<KeyValue>> create(const std::string& key, const std::string& value, int64_t lease);
    // Writes key = value under `lease`, whether or not the key exists.
    sdk::Status put(const std::string& key, const std::string& value, int64_t lease);
    // Every key under `prefix`.
    sdk::Result<Snapshot> list(const std::string& prefix);

    // Streams the changes under `prefix` from `from_revision` on: `on_changes` runs on this thread for each
    // batch, in revision order. Blocks until the stream ends: etcd or the network broke it (UNAVAILABLE and
    // why), etcd compacted past `from_revision` (OUT_OF_RANGE: read a new snapshot), or `cancel` was used
    // (CANCELLED). No deadline: a watch lives as long as its stream.
    sdk::Status watch(const std::string& prefix, int64_t from_revision,
                      const std::function<void(const std::vector<Change>&)>& on_changes, WatchCancel& cancel);

private:
    struct Member;
    // The member calls go to now; after an unreachable one, the next.
    std::shared_ptr<Member> current() const;
    void failed(const std::shared_ptr<Member>& member);
    std::chrono::system_clock::time_point deadline() const;

    std::vector<std::shared_ptr<Member>> members_;
    std::atomic<size_t> current_{0};
    const std::chrono::milliseconds call_timeout_;
};

}  // namespace lanchat::host::etcd

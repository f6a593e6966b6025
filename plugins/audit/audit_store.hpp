// AuditStore: where audit entries live. The service logic sees only this interface; SQLite (WAL,
// synchronous=FULL) is the embedded default, PostgreSQL the one chain that several nodes share.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "lanchat/audit/v1/audit.pb.h"
#include "lanchat/sdk/status.hpp"

namespace lanchat::audit {

struct Appended {
    v1::Entry entry;
    bool duplicate = false;  // the idempotency key had been seen: this is the first entry written with it
};

// Told once with what append() wrote (or found), only after its commit reached the disk, or why not.
using AppendDone = std::function<void(sdk::Result<Appended>)>;

struct Filter {
    int64_t from_unix_ms = 0;  // inclusive; 0: from the start
    int64_t to_unix_ms = 0;    // exclusive; 0: no end
    std::string actor;         // empty: any
    std::string action;        // empty: any
};

struct Verdict {
    bool intact = true;
    uint64_t entries = 0;
    uint64_t first_broken_sequence = 0;
    std::string reason;
};

class AuditStore {
public:
    virtual ~AuditStore() = default;

    // Gives `draft` its sequence, time, previous hash and hash, in a commit shared with the appends made at
    // the same time (a group commit: each chains to the one before it in the batch), and tells `done`, on
    // the thread that committed it, only once that commit is on the disk. A repeated idempotency key
    // returns the first entry, also within one commit. RESOURCE_EXHAUSTED when too many appends are waiting
    // for the disk; UNAVAILABLE after close().
    virtual void append(v1::Entry draft, AppendDone done) = 0;
    // Commits and answers the appends already made; later ones are refused. Reads go on working.
    virtual void close() = 0;
    // Up to `limit` entries after `after_sequence` that match `filter`, in order.
    virtual sdk::Result<std::vector<v1::Entry>> query(const Filter& filter, uint64_t after_sequence,
                                                      uint32_t limit) = 0;
    // Recomputes the chain from the first entry; names the first that does not match.
    virtual sdk::Result<Verdict> verify() = 0;
    // The stored hash of entry `sequence`; empty when there is no such entry (or for sequence 0).
    virtual sdk::Result<std::string> hash_at(uint64_t sequence) = 0;
    // How many entries there are.
    virtual sdk::Result<uint64_t> count() = 0;
};

sdk::Result<std::unique_ptr<AuditStore>> open_sqlite_store(const std::filesystem::path& file);
// The chain in the PostgreSQL database `dsn` reaches, its tables created or upgraded first.
sdk::Result<std::unique_ptr<AuditStore>> open_postgres_store(const std::string& dsn);

}  // namespace lanchat::audit

// OutboxQueue: where an AuditOutbox keeps the entries it has yet to send, a table in the service's own
// database (SQLite or PostgreSQL), so an entry commits with the change it records.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lanchat/audit/v1/audit.pb.h"
#include "lanchat/sdk/status.hpp"

namespace lanchat::plugin_support {

// The audit entries that record one change, staged in the change's own transaction.
using AuditRecords = std::vector<audit::v1::AppendRequest>;

class OutboxQueue {
public:
    struct Entry {
        int64_t id = 0;
        std::string bytes;  // a serialized audit::v1::AppendRequest
    };

    virtual ~OutboxQueue() = default;
    // Queues `entry` in a transaction of its own.
    virtual sdk::Status push(const audit::v1::AppendRequest& entry) = 0;
    // The entry queued first, if any.
    virtual std::optional<Entry> oldest() = 0;
    virtual sdk::Status remove(int64_t id) = 0;
    virtual uint64_t size() = 0;
};

}  // namespace lanchat::plugin_support

// AuditOutbox: how a service records audit entries without waiting on Audit. An entry is first written to
// the service's own database (SQLite, or PostgreSQL through postgres_outbox.hpp; durable before the caller
// goes on), then sent to Audit once, in order,
// one at a time, and deleted once Audit acknowledged it. A failed send, or a sent entry that could not be
// deleted, is sent again after a growing pause with the same idempotency key, so Audit recognises a resend
// of an entry it already wrote. A slow or absent Audit delays the record, never the service, and a crash
// loses nothing that was queued.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "lanchat/audit/v1/audit.pb.h"
#include "lanchat/sdk/executor.hpp"
#include "lanchat/sdk/rpc.hpp"
#include "outbox_queue.hpp"
#include "sqlite_database.hpp"

namespace lanchat::plugin_support {

class AuditOutbox {
public:
    // The table it keeps in the service's database; include it in the store's schema.
    static constexpr const char* kSchema =
        "CREATE TABLE IF NOT EXISTS audit_outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, entry BLOB NOT NULL);";

    // Sends one entry to Audit and calls `done` with the outcome (exactly once, from any thread).
    using Send = std::function<void(const audit::v1::AppendRequest& entry, std::function<void(sdk::Status)> done)>;

    // Keeps its entries in `queue`.
    AuditOutbox(std::unique_ptr<OutboxQueue> queue, Send send, const sdk::Executor& executor, const sdk::Logger& log);
    // Keeps its entries in the audit_outbox table (kSchema) of `database`, which must outlive it.
    AuditOutbox(SqliteDatabase& database, Send send, const sdk::Executor& executor, const sdk::Logger& log);

    // Opens `<data_dir>/<name>.sqlite`, named "<name> store" in errors, with the service's `schema` and this
    // outbox's table, so a service's writes and the audit entries they cause commit together.
    static sdk::Result<std::unique_ptr<SqliteDatabase>> open_database(const std::filesystem::path& data_dir,
                                                                      const std::string& name,
                                                                      std::string_view schema = {});

    // Sends through the mesh to the Audit service: once per attempt (Append is never retried by the mesh;
    // the outbox resends with the same idempotency key).
    static Send through(const sdk::Rpc& rpc, std::chrono::milliseconds deadline = std::chrono::milliseconds(5000));
    ~AuditOutbox();
    AuditOutbox(const AuditOutbox&) = delete;
    AuditOutbox& operator=(const AuditOutbox&) = delete;

    // Queues `entry` durably (giving it an idempotency key if it has none) and starts sending if started.
    sdk::Status enqueue(audit::v1::AppendRequest entry);
    // Queues `entry` inside a transaction the caller holds on `database`, so the entry commits (or not)
    // with the change it records. Call kick() after the commit.
    static sdk::Status stage(SqliteDatabase& database, audit::v1::AppendRequest entry);
    // stage() for each of `records`, in order.
    static sdk::Status stage_all(SqliteDatabase& database, const AuditRecords& records);
    // Gives `entry` an idempotency key if it has none: what every stage() does first.
    static audit::v1::AppendRequest& keyed(audit::v1::AppendRequest& entry);
    // Sends what was staged, if started and not sending already.
    void kick();
    // Starts sending whatever is queued, including entries left by an earlier run.
    void start();
    // Sends nothing more; what is queued stays for the next start.
    void stop();
    uint64_t pending();
    uint64_t sent() const;

private:
    void send_oldest();
    void finished(int64_t id, const sdk::Status& status);

    std::unique_ptr<OutboxQueue> queue_;
    Send send_;
    const sdk::Executor& executor_;
    const sdk::Logger& log_;
    mutable std::mutex mutex_;
    bool running_ = false;
    bool sending_ = false;
    bool kicked_ = false;  // kick() came while sending: the sender looks at the table again before idling
    uint64_t sent_ = 0;
    std::chrono::milliseconds backoff_{0};
    sdk::Timer retry_;
};

// The queue an AuditOutbox reads from the audit_outbox table (AuditOutbox::kSchema) of `database`, which
// must outlive it.
std::unique_ptr<OutboxQueue> sqlite_outbox(SqliteDatabase& database);

}  // namespace lanchat::plugin_support

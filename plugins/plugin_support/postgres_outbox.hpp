// The audit outbox of a PostgreSQL store: its table lives beside the store's own, so an entry commits with
// the change it records. Nodes sharing the database share the table: any node's outbox may send any entry
// (oldest first), and Audit recognises a resend by its idempotency key. Audit records an entry as written
// by the service that sends it, so two services whose stores share a database must not share the table:
// a store names its own (`table`, a name of ours, never input).
#pragma once

#include <memory>
#include <string_view>

#include "lanchat/audit/v1/audit.pb.h"
#include "outbox_queue.hpp"
#include "postgres_database.hpp"

namespace lanchat::plugin_support {

// The table Channel's and Auth's stores have used since before stores named their own.
inline constexpr std::string_view kSharedOutboxTable = "audit_outbox";

// A migration step that creates kSharedOutboxTable; add it to the store's migrations. A store of its own
// table creates it the same way: (id BIGSERIAL PRIMARY KEY, entry BYTEA NOT NULL).
inline constexpr const char* kPostgresOutboxSchema =
    "CREATE TABLE IF NOT EXISTS audit_outbox (id BIGSERIAL PRIMARY KEY, entry BYTEA NOT NULL)";

// Queues `entry` in `table` inside a transaction the caller holds on `database`; call the outbox's kick()
// after the commit.
sdk::Status stage_in_postgres(PostgresDatabase& database, audit::v1::AppendRequest entry,
                              std::string_view table = kSharedOutboxTable);
// stage_in_postgres() for each of `records`, in order.
sdk::Status stage_all_in_postgres(PostgresDatabase& database, const AuditRecords& records,
                                  std::string_view table = kSharedOutboxTable);

// The queue an AuditOutbox reads from `table` of `database`, which must outlive it.
std::unique_ptr<OutboxQueue> postgres_outbox(PostgresDatabase& database, std::string_view table = kSharedOutboxTable);

}  // namespace lanchat::plugin_support

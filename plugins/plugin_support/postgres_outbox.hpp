// The audit outbox of a PostgreSQL store: its table lives beside the store's own, so an entry commits with
// the change it records. Nodes sharing the database share the table: any node's outbox may send any entry
// (oldest first), and Audit recognises a resend by its idempotency key.
#pragma once

#include <memory>

#include "lanchat/audit/v1/audit.pb.h"
#include "outbox_queue.hpp"
#include "postgres_database.hpp"

namespace lanchat::plugin_support {

// A migration step that creates the outbox's table; add it to the store's migrations.
inline constexpr const char* kPostgresOutboxSchema =
    "CREATE TABLE IF NOT EXISTS audit_outbox (id BIGSERIAL PRIMARY KEY, entry BYTEA NOT NULL)";

// Queues `entry` inside a transaction the caller holds on `database`; call the outbox's kick() after the
// commit.
sdk::Status stage_in_postgres(PostgresDatabase& database, audit::v1::AppendRequest entry);
// stage_in_postgres() for each of `records`, in order.
sdk::Status stage_all_in_postgres(PostgresDatabase& database, const AuditRecords& records);

// The queue an AuditOutbox reads from `database`, which must outlive it.
std::unique_ptr<OutboxQueue> postgres_outbox(PostgresDatabase& database);

}  // namespace lanchat::plugin_support

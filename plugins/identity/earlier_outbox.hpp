// The audit outbox file Identity kept before its entries moved into its own store (so that each commits
// with the change it records): <data dir>/audit_outbox.sqlite. Entries left there by an earlier run are
// moved into the store's outbox at start, so an upgrade loses none of them.
#pragma once

#include <cstddef>
#include <filesystem>

#include "lanchat/sdk/status.hpp"
#include "outbox_queue.hpp"

namespace lanchat::identity {

// Moves the entries of `<data_dir>/audit_outbox.sqlite`, oldest first and keeping their idempotency keys,
// into `into`, then removes the file. A crash halfway leaves some entries in both; Audit recognises the
// second copy of each by its key. Nothing to do when there is no such file. Returns how many entries were
// unreadable and dropped (as the outbox would drop them).
sdk::Result<size_t> move_earlier_outbox(const std::filesystem::path& data_dir, plugin_support::OutboxQueue& into);

}  // namespace lanchat::identity

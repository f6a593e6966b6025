#include "earlier_outbox.hpp"

#include <system_error>

#include "audit_outbox.hpp"

namespace lanchat::identity {

sdk::Result<size_t> move_earlier_outbox(const std::filesystem::path& data_dir, plugin_support::OutboxQueue& into) {
    const std::filesystem::path file = data_dir / "audit_outbox.sqlite";
    size_t unreadable = 0;
    if (!std::filesystem::exists(file)) return unreadable;
    {
        auto database = plugin_support::AuditOutbox::open_database(data_dir, "audit_outbox");
        if (!database.ok()) return database.status();
        std::unique_ptr<plugin_support::OutboxQueue> earlier = plugin_support::sqlite_outbox(**database);
        while (std::optional<plugin_support::OutboxQueue::Entry> oldest = earlier->oldest()) {
            audit::v1::AppendRequest entry;
            if (entry.ParseFromString(oldest->bytes)) {
                if (sdk::Status moved = into.push(entry); !moved.ok()) return moved;
            } else {
                ++unreadable;
            }
            if (sdk::Status removed = earlier->remove(oldest->id); !removed.ok()) return removed;
        }
    }
    for (const char* suffix : {"", "-wal", "-shm"}) {
        std::error_code ignored;
        std::filesystem::remove(file.string() + suffix, ignored);
    }
    return unreadable;
}

}  // namespace lanchat::identity

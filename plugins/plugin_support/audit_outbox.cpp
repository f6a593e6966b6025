#include "audit_outbox.hpp"

#include <algorithm>

#include "lanchat/ids/random_id.hpp"

namespace lanchat::plugin_support {

namespace {
constexpr std::chrono::milliseconds kFirstRetry{200};
constexpr std::chrono::milliseconds kMaxRetry{10000};

class SqliteQueue final : public OutboxQueue {
public:
    explicit SqliteQueue(SqliteDatabase& database) : database_(database) {}

    sdk::Status push(const audit::v1::AppendRequest& entry) override {
        return database_.transaction([&] { return AuditOutbox::stage(database_, entry); });
    }

    std::optional<Entry> oldest() override {
        return database_.read([&]() -> std::optional<Entry> {
            Statement select(database_, "SELECT id, entry FROM audit_outbox ORDER BY id LIMIT 1");
            if (!select.step()) return std::nullopt;
            return Entry{select.integer(0), select.blob(1)};
        });
    }

    sdk::Status remove(int64_t id) override {
        return database_.transaction([&]() -> sdk::Status {
            Statement remove(database_, "DELETE FROM audit_outbox WHERE id = ?1");
            return remove.bind(1, id).run("remove sent audit entry");
        });
    }

    uint64_t size() override {
        return database_.read([&]() -> uint64_t {
            Statement count(database_, "SELECT count(*) FROM audit_outbox");
            return count.step() ? static_cast<uint64_t>(count.integer(0)) : 0;
        });
    }

private:
    SqliteDatabase& database_;
};

}  // namespace

AuditOutbox::AuditOutbox(std::unique_ptr<OutboxQueue> queue, Send send, const sdk::Executor& executor,
                         const sdk::Logger& log)
    : queue_(std::move(queue)), send_(std::move(send)), executor_(executor), log_(log) {}

AuditOutbox::AuditOutbox(SqliteDatabase& database, Send send, const sdk::Executor& executor, const sdk::Logger& log)
    : AuditOutbox(sqlite_outbox(database), std::move(send), executor, log) {}

std::unique_ptr<OutboxQueue> sqlite_outbox(SqliteDatabase& database) { return std::make_unique<SqliteQueue>(database); }

AuditOutbox::~AuditOutbox() { stop(); }

sdk::Result<std::unique_ptr<SqliteDatabase>> AuditOutbox::open_database(const std::filesystem::path& data_dir,
                                                                        const std::string& name,
                                                                        std::string_view schema) {
    return SqliteDatabase::open(data_dir / (name + ".sqlite"), name + " store", std::string(schema) + kSchema);
}

AuditOutbox::Send AuditOutbox::through(const sdk::Rpc& rpc, std::chrono::milliseconds deadline) {
    return [&rpc, deadline](const audit::v1::AppendRequest& entry, std::function<void(sdk::Status)> done) {
        rpc.call<audit::v1::AppendRequest, audit::v1::AppendReply>(
            {"audit", "/lanchat.audit.v1.Audit/Append", deadline, false, nullptr}, entry,
            [done = std::move(done)](sdk::Result<audit::v1::AppendReply> reply) { done(reply.status()); });
    };
}

audit::v1::AppendRequest& AuditOutbox::keyed(audit::v1::AppendRequest& entry) {
    if (entry.idempotency_key().empty()) entry.set_idempotency_key(ids::random_id("ao_"));
    return entry;
}

sdk::Status AuditOutbox::stage(SqliteDatabase& database, audit::v1::AppendRequest entry) {
    Statement insert(database, "INSERT INTO audit_outbox (entry) VALUES (?1)");
    return insert.bind_blob(1, keyed(entry).SerializeAsString()).run("queue audit entry");
}

sdk::Status AuditOutbox::stage_all(SqliteDatabase& database, const AuditRecords& records) {
    for (const audit::v1::AppendRequest& record : records) {
        if (sdk::Status staged = stage(database, record); !staged.ok()) return staged;
    }
    return {};
}

sdk::Status AuditOutbox::enqueue(audit::v1::AppendRequest entry) {
    sdk::Status queued = queue_->push(keyed(entry));
    if (queued.ok()) kick();
    return queued;
}

void AuditOutbox::start() {
    {
        std::lock_guard lock(mutex_);
        running_ = true;
    }
    kick();
}

void AuditOutbox::stop() {
    sdk::Timer retry;
    {
        std::lock_guard lock(mutex_);
        running_ = false;
        retry = std::move(retry_);
    }
    retry.reset();
}

uint64_t AuditOutbox::pending() { return queue_->size(); }

uint64_t AuditOutbox::sent() const {
    std::lock_guard lock(mutex_);
    return sent_;
}

// One send at a time keeps the entries in the order they were queued.
void AuditOutbox::kick() {
    {
        std::lock_guard lock(mutex_);
        if (sending_) {
            kicked_ = true;  // the sender may have just found the table empty: it looks again
            return;
        }
        if (!running_ || retry_.active()) return;
        sending_ = true;
    }
    executor_.post([this] { send_oldest(); });
}

void AuditOutbox::send_oldest() {
    {
        std::lock_guard lock(mutex_);
        kicked_ = false;
    }
    std::optional<OutboxQueue::Entry> oldest = queue_->oldest();
    if (!oldest) {
        std::unique_lock lock(mutex_);
        if (kicked_ && running_) {  // an entry was queued after the look: look again
            lock.unlock();
            return send_oldest();
        }
        sending_ = false;
        return;
    }
    audit::v1::AppendRequest entry;
    if (!entry.ParseFromString(oldest->bytes)) {
        log_.error("dropping an unreadable queued audit entry", {{"outbox_id", oldest->id}});
        return finished(oldest->id, {});
    }
    const int64_t id = oldest->id;
    send_(entry, [this, id](sdk::Status status) { finished(id, status); });
}

// A sent entry that cannot be removed (its database failed) waits like a failed send: sent again after the
// pause, Audit recognises it, and the outbox does not spin on a database that keeps failing.
void AuditOutbox::finished(int64_t id, const sdk::Status& status) {
    const sdk::Status outcome = status.ok() ? queue_->remove(id) : status;
    std::lock_guard lock(mutex_);
    sending_ = false;
    if (!running_) return;
    if (outcome.ok()) {
        ++sent_;
        backoff_ = std::chrono::milliseconds(0);
        sending_ = true;
        executor_.post([this] { send_oldest(); });
        return;
    }
    backoff_ = std::clamp(backoff_ * 2, kFirstRetry, kMaxRetry);
    log_.warn(status.ok() ? "cannot remove a sent audit entry; will send it again" : "audit append failed; will retry",
              {{"reason", outcome.message()}, {"retry_ms", backoff_.count()}});
    retry_ = executor_.after(backoff_, [this] {
        {
            std::lock_guard lock(mutex_);
            retry_ = sdk::Timer();  // this one-shot has fired; resetting from inside it is allowed
            if (!running_ || sending_) return;
            sending_ = true;
        }
        send_oldest();
    });
}

}  // namespace lanchat::plugin_support

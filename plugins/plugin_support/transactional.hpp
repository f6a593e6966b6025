// Transactional: what GroupCommit needs of a store's database, so one group commit serves SQLite and
// PostgreSQL alike: one transaction at a time, savepoints inside it, and whether it is still open.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "lanchat/sdk/status.hpp"

namespace lanchat::plugin_support {

class Transactional {
public:
    virtual ~Transactional() = default;

    // Runs `work` between BEGIN and COMMIT under the database's lock; rolls back if it fails. Returns OK
    // only once the commit is durable; a failed or unknown COMMIT is never OK.
    virtual sdk::Status run_transaction(const std::function<sdk::Status()>& work) = 0;
    // Runs one statement that returns no rows (SAVEPOINT, ROLLBACK TO, RELEASE) inside run_transaction.
    virtual sdk::Status step(std::string_view sql, std::string_view doing) = 0;
    // False outside a transaction, and once the engine rolled it back by itself (an I/O error, a full
    // disk, a lost connection): no savepoint is left to return to.
    virtual bool in_transaction() const = 0;
    // The store this is, as errors name it ("channel store").
    virtual const std::string& name() const = 0;
};

}  // namespace lanchat::plugin_support

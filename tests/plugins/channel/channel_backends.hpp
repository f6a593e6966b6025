// ChannelBackend: the Channel store a test runs against, opened fresh for each test: SQLite in a temporary
// directory, or PostgreSQL in a database of its own on the test process's server (postgres_server.hpp).
// Store tests are parameterized over both (store_backends.hpp), so the two stores keep the same guarantees.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "channel_store.hpp"
#include "group_commit.hpp"
#include "store_backends.hpp"
#include "temp_dir.hpp"

namespace lanchat::plugin_support {
class Transactional;
}

namespace lanchat::channel {

using Backend = lanchat::testing::StoreBackend;

class ChannelBackend {
public:
    explicit ChannelBackend(Backend backend, plugin_support::GroupCommit::Limits limits = {});
    ~ChannelBackend();

    // Another Channel instance on the same PostgreSQL database, as a second node has.
    std::unique_ptr<ChannelBackend> another_node() const;

    ChannelStore& store() { return *store_; }
    plugin_support::GroupCommit& commits() { return *commits_; }
    // Every audit entry staged so far, oldest first.
    std::vector<audit::v1::AppendRequest> staged();
    // Whether any copy of `text` is left in the store: SQLite's file and WAL, or PostgreSQL's rows.
    bool holds_text(const std::string& text);

private:
    ChannelBackend(Backend backend, std::string dsn, plugin_support::GroupCommit::Limits limits);
    void open(plugin_support::GroupCommit::Limits limits);

    Backend backend_;
    lanchat::testing::TempDir dir_;
    std::string dsn_;
    std::unique_ptr<plugin_support::Transactional> database_;
    std::unique_ptr<plugin_support::GroupCommit> commits_;
    std::unique_ptr<ChannelStore> store_;
};

}  // namespace lanchat::channel

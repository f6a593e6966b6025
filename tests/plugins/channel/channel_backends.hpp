// ChannelBackend: the Channel store a test runs against, opened fresh for each test: SQLite in a temporary
// directory, or PostgreSQL in a database of its own on the test process's server (postgres_server.hpp).
// Store tests are parameterized over both (INSTANTIATE_TEST_SUITE_P with kBothBackends), so the two
// stores keep the same guarantees.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "channel_store.hpp"
#include "group_commit.hpp"
#include "temp_dir.hpp"

namespace lanchat::plugin_support {
class Transactional;
}

namespace lanchat::channel {

enum class Backend { sqlite, postgresql };
inline const auto kBothBackends = ::testing::Values(Backend::sqlite, Backend::postgresql);
// "sqlite" or "postgresql", for test names.
std::string backend_name(const ::testing::TestParamInfo<Backend>& info);
// The same for GoogleTest's messages and the names ctest lists.
void PrintTo(Backend backend, std::ostream* out);

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

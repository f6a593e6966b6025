// The node's data on disk is its user's alone, whatever the umask: the data directory and each plugin's are
// 0700, every SQLite file (with its -wal and -shm) 0600, and a data directory others can write is refused.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>
#include <vector>

#include "child_process.hpp"
#include "service_node.hpp"
#include "temp_dir.hpp"

namespace lanchat {
namespace {

using namespace lanchat::testing;
namespace fs = std::filesystem;

const std::string kLanchatd = LANCHAT_LANCHATD;
const std::string kLanchatctl = LANCHAT_LANCHATCTL;
const fs::path kPluginDir = LANCHAT_PLUGIN_DIR;

unsigned mode_of(const fs::path& path) {
    struct stat status {};
    EXPECT_EQ(::lstat(path.c_str(), &status), 0) << path;
    return status.st_mode & 07777;
}

class DataDirectoryTest : public ::testing::Test {
protected:
    void SetUp() override {
        previous_umask_ = ::umask(022);  // the usual one; lanchatd inherits it
        make_service_pki(kLanchatctl, pki_, "audit,identity,auth,channel", "gateway");
        dir_.write("n.toml", service_node_file(pki_, kPluginDir,
                                               {{"audit", ""}, {"identity", ""}, {"auth", ""}, {"channel", ""}}));
    }
    void TearDown() override { ::umask(previous_umask_); }

    TempDir dir_;
    fs::path pki_ = dir_.path() / "pki";
    fs::path data_ = dir_.path() / "data";
    mode_t previous_umask_ = 0;
};

TEST_F(DataDirectoryTest, SecretsAreTheNodeUsersAloneWhateverTheUmask) {
    auto [node, address] = start_service_node(kLanchatd, dir_.path() / "n.toml");
    EXPECT_EQ(mode_of(data_), 0700u);
    std::vector<fs::path> databases;
    for (const auto& entry : fs::recursive_directory_iterator(data_)) {
        if (entry.path().parent_path().filename() == ".loaded") continue;  // copies of the plugin files
        if (entry.is_directory()) {
            EXPECT_EQ(mode_of(entry.path()), 0700u) << entry.path();
        } else if (entry.path().string().find(".sqlite") != std::string::npos) {
            databases.push_back(entry.path());
            EXPECT_EQ(mode_of(entry.path()), 0600u) << entry.path();
        }
    }
    // Audit, Identity, Auth (its store and its audit outbox) and Channel, each with a WAL and its index.
    EXPECT_GE(databases.size(), 12u);
    EXPECT_TRUE(fs::exists(data_ / "identity" / "identity.sqlite-wal"));
}

TEST_F(DataDirectoryTest, FilesLeftWithWiderModesAreTightenedAtStart) {
    fs::create_directories(data_ / "identity");
    ::chmod((data_ / "identity").c_str(), 0755);
    dir_.write("data/identity/identity.sqlite", "");
    ::chmod((data_ / "identity" / "identity.sqlite").c_str(), 0644);
    auto [node, address] = start_service_node(kLanchatd, dir_.path() / "n.toml");
    EXPECT_EQ(mode_of(data_ / "identity"), 0700u);
    EXPECT_EQ(mode_of(data_ / "identity" / "identity.sqlite"), 0600u);
}

TEST_F(DataDirectoryTest, ADataDirectoryOthersCanWriteIsRefused) {
    fs::create_directories(data_);
    ::chmod(data_.c_str(), 0777);
    Completed run = run_to_exit({kLanchatd, (dir_.path() / "n.toml").string()});
    EXPECT_NE(run.exit_code, 0);
    EXPECT_NE(run.output.find(data_.string() + " ([node] data_dir in "), std::string::npos) << run.output;
    EXPECT_NE(run.output.find("has mode 0777"), std::string::npos) << run.output;
    EXPECT_NE(run.output.find("chmod 700 " + data_.string()), std::string::npos) << run.output;
    EXPECT_EQ(mode_of(data_), 0777u);  // left as it was for the operator to look at
}

}  // namespace
}  // namespace lanchat

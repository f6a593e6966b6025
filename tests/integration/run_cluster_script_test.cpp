// scripts/run-cluster.sh as an operator runs it (without installing or building: this build's binaries),
// on a copy of the tree so its var/cluster/ is the test's own: PostgreSQL, three etcd members and the three
// nodes of config/cluster/ on 127.0.0.1-3, each ready; Discovery lists them; `stop` leaves nothing running.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "build_paths.hpp"
#include "child_process.hpp"
#include "eventually.hpp"
#include "grpc_client.hpp"
#include "http_get.hpp"
#include "lanchat/discovery/v1/discovery.pb.h"
#include "temp_dir.hpp"

namespace lanchat {
namespace {

using namespace lanchat::testing;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

std::vector<pid_t> pids_in(const fs::path& directory) {
    std::vector<pid_t> pids;
    for (const auto& file : fs::directory_iterator(directory)) {
        pid_t pid = 0;
        std::ifstream(file.path()) >> pid;
        if (pid > 0) pids.push_back(pid);
    }
    return pids;
}

// A zombie (exited, not yet reaped by whoever inherited it) does not run.
bool running(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string id, name, state;
    return static_cast<bool>(stat >> id >> name >> state) && state != "Z";
}

class RunClusterScriptTest : public ::testing::Test {
protected:
    void SetUp() override {
        // The postgres user must reach var/cluster/postgres (a fresh temporary directory is 0700).
        fs::permissions(dir_.path(), fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
        fs::create_directories(tree_ / "scripts");
        fs::create_directories(tree_ / "config" / "cluster");
        fs::copy_file(kSourceDir / "scripts" / "run-cluster.sh", script_);
        for (const char* node : {"node-1.toml", "node-2.toml", "node-3.toml"}) {
            fs::copy_file(kSourceDir / "config" / "cluster" / node, tree_ / "config" / "cluster" / node);
        }
    }

    void TearDown() override { run_to_exit({"/bin/bash", script_.string(), "stop"}, 90s); }

    std::vector<std::string> start_arguments() const {
        const fs::path build = fs::path(kLanchatd).parent_path().parent_path();
        return {"/bin/bash", script_.string(), "--skip-install", "--binaries", build.string()};
    }
    Identity operator_identity() const {
        const fs::path clients = tree_ / "var" / "cluster" / "pki" / "clients";
        return {clients / "operator-admin.crt", clients / "operator-admin.key"};
    }

    TempDir dir_;
    fs::path tree_ = dir_.path() / "tree";
    fs::path script_ = tree_ / "scripts" / "run-cluster.sh";
};

TEST_F(RunClusterScriptTest, StartsThreeReadyNodesThatDiscoveryListsAndStopLeavesNoProcessRunning) {
    ChildProcess cluster(start_arguments());
    ASSERT_TRUE(cluster.wait_for_line("lanchat cluster running", 120s)) << cluster.output();
    for (const char* node : {"node-1", "node-2", "node-3"}) {
        EXPECT_TRUE(cluster.wait_for_line(std::string(node) + "  clients https://127.0.0." + node[5] +
                                              ":8443/  admin http://127.0.0." + node[5] + ":9464",
                                          5s))
            << cluster.output();
    }
    for (const char* admin : {"127.0.0.1:9464", "127.0.0.2:9464", "127.0.0.3:9464"}) {
        EXPECT_EQ(http_request(admin, "GET", "/health/ready").status, 200) << admin;
    }

    // Any node's Discovery answers from the membership in etcd: node-2's lists all three.
    auto discovery = channel_to("127.0.0.2:7443", tree_ / "var" / "cluster" / "pki" / "ca.crt", operator_identity(),
                                "discovery.lan-chat.svc");
    discovery::v1::ListNodesReply listed;
    EXPECT_TRUE(eventually(
        [&] {
            Reply reply = call(discovery, "/lanchat.discovery.v1.Discovery/ListNodes", "");
            return reply.status.ok() && listed.ParseFromString(reply.bytes) && listed.nodes_size() == 3;
        },
        50, 100ms))
        << listed.DebugString();
    for (int i = 0; i < listed.nodes_size(); ++i) {
        const std::string host = "127.0.0." + std::to_string(i + 1);
        EXPECT_EQ(listed.nodes(i).node_id(), "node-" + std::to_string(i + 1));
        EXPECT_EQ(listed.nodes(i).addresses(0), host + ":7443");
        EXPECT_EQ(listed.nodes(i).client_address(), host + ":8443");
    }

    const fs::path state = tree_ / "var" / "cluster";
    std::vector<pid_t> started = pids_in(state / "pids");  // the script, three etcd members, three nodes
    EXPECT_EQ(started.size(), 7u);
    pid_t postgres = 0;
    std::ifstream(state / "postgres" / "data" / "postmaster.pid") >> postgres;
    ASSERT_GT(postgres, 0);
    started.push_back(postgres);

    Completed stopped = run_to_exit({"/bin/bash", script_.string(), "stop"}, 90s);
    EXPECT_EQ(stopped.exit_code, 0) << stopped.output;
    EXPECT_EQ(cluster.wait_exit(30s), 0) << cluster.output();
    for (pid_t pid : started) EXPECT_FALSE(running(pid)) << "pid " << pid << " still runs";
    EXPECT_TRUE(fs::is_empty(state / "pids"));
    EXPECT_FALSE(fs::exists(state / "postgres" / "data" / "postmaster.pid"));
}

}  // namespace
}  // namespace lanchat

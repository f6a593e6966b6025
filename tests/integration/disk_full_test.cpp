// A full disk on a real node: its data directory is a small tmpfs (mounted in a mount namespace of this test
// process, so nothing outlives it), filled to the last byte while people chat through the client edge. A
// write that finds no room is refused with `unavailable` saying the disk is full, never reported as stored;
// reads keep working; and once space returns the same node stores again, without a restart.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <tuple>

#include "build_paths.hpp"
#include "edge_client.hpp"
#include "service_node.hpp"
#include "temp_dir.hpp"

namespace lanchat {
namespace {

using json = nlohmann::json;
using namespace lanchat::testing;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

// Writes to `file` until the file system has not one byte left.
// The plugin files are several times larger when built with AddressSanitizer.
#if defined(__SANITIZE_ADDRESS__)
constexpr const char* kTmpfsOptions = "size=512m,mode=0700";
#else
constexpr const char* kTmpfsOptions = "size=96m,mode=0700";
#endif

void fill(const fs::path& file) {
    const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ASSERT_GE(fd, 0) << file << ": " << std::strerror(errno);
    const std::string block(64 * 1024, 'x');
    for (size_t size : {block.size(), size_t{4096}, size_t{1}}) {
        while (::write(fd, block.data(), size) == static_cast<ssize_t>(size)) {
        }
    }
    const int full = errno;
    ::close(fd);
    ASSERT_EQ(full, ENOSPC) << std::strerror(full);
}

class DiskFullTest : public ::testing::Test {
protected:
    void SetUp() override {
        // Before any thread exists: a process with threads cannot leave its mount namespace.
        if (unshare(CLONE_NEWNS) != 0 || mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
            GTEST_SKIP() << "cannot make a private mount namespace (" << std::strerror(errno)
                         << "): a full disk is tested only where the tests may mount a tmpfs (root)";
        }
        fs::create_directories(data_);
        // Room for the copies of the plugin files the node loads (data/.loaded), then filled by the test.
        if (mount("tmpfs", data_.c_str(), "tmpfs", 0, kTmpfsOptions) != 0) {
            GTEST_SKIP() << "cannot mount a tmpfs on " << data_ << " (" << std::strerror(errno)
                         << "): a full disk is tested only where the tests may mount one (root)";
        }
        mounted_ = true;
        make_service_pki(kLanchatctl, pki_, kChatServices, "gateway", {"admin"});
        dir_.write("n.toml", chat_node_file(pki_, kPluginDir));
        node_ = start_node(kLanchatd, dir_.path() / "n.toml");
        edge_ = edge_endpoint(node_.clients, pki_ / "ca.crt");
    }

    void TearDown() override {
        if (HasFailure() && node_.process != nullptr) std::cerr << "--- node output ---\n" << node_.process->output();
        node_.process.reset();
        if (mounted_) umount2(data_.c_str(), MNT_DETACH);
    }

    std::unique_ptr<EdgeClient> connect() {
        auto client = EdgeClient::connect(edge_);
        if (client == nullptr) throw std::runtime_error("the edge does not answer");
        return client;
    }

    static json send(EdgeClient& client, const std::string& channel, const std::string& id) {
        return client.request(
            {{"type", "send"}, {"channel_id", channel}, {"body", std::string(2000, 'b')}, {"client_message_id", id}});
    }

    static std::vector<std::string> stored_ids(EdgeClient& client, const std::string& channel) {
        std::vector<std::string> ids;
        for (uint64_t after = 0;;) {
            json page =
                client.request({{"type", "history"}, {"channel_id", channel}, {"after", after}, {"limit", 500}});
            EXPECT_EQ(page["type"], "ok") << page.dump();
            for (const json& entry : page["messages"]) {
                if (entry["event"] == "posted") ids.push_back(entry["client_message_id"]);
                after = entry["sequence"];
            }
            if (page["type"] != "ok" || !page["more"].get<bool>()) return ids;
        }
    }

    bool audit_chain_verifies() {
        auto verified = run_to_exit(
            {kLanchatctl, "audit", "verify", "--grpc", node_.grpc, "--pki", pki_.string(), "--operator", "admin"});
        return verified.exit_code == 0;
    }

    TempDir dir_;
    fs::path pki_ = dir_.path() / "pki";
    fs::path data_ = dir_.path() / "data";
    bool mounted_ = false;
    StartedNode node_;
    client::Endpoint edge_;
};

TEST_F(DiskFullTest, AWriteWithNoRoomIsRefusedAsUnavailableReadsGoOnAndTheNodeStoresAgainWhenSpaceReturns) {
    auto alice = connect();
    ASSERT_EQ(alice->request({{"type", "register"}, {"username", "alice"}, {"password", "alice password"}})["type"],
              "ok");
    const std::string channel =
        alice->request({{"type", "channels.create"}, {"name", "general"}})["channel"]["id"].get<std::string>();
    const uint64_t before = send(*alice, channel, "before")["sequence"];

    fill(data_ / "filler");
    // The WAL may still hold room it took earlier: sends go on until one needs a byte more.
    std::vector<std::string> acknowledged = {"before"};
    json refused;
    std::string refused_id;
    for (int i = 0; i < 500 && refused.is_null(); ++i) {
        const std::string id = "full-" + std::to_string(i);
        json answer = send(*alice, channel, id);
        if (answer["type"] == "ok") acknowledged.push_back(id);
        if (answer["type"] != "ok") std::tie(refused, refused_id) = std::pair(answer, id);
    }
    ASSERT_FALSE(refused.is_null()) << "500 sends of 2 KB were stored on a full disk";
    EXPECT_EQ(refused["code"], "unavailable") << refused.dump();
    EXPECT_NE(refused["message"].get<std::string>().find("the server's disk is full"), std::string::npos)
        << refused.dump();

    // Reads need no room: history shows every acknowledged send and not the refused one.
    EXPECT_EQ(stored_ids(*alice, channel), acknowledged);
    // A login keeps a refresh token: with no room it is refused the same way, while the session goes on.
    auto later = connect();
    json login = later->request({{"type", "auth"}, {"username", "alice"}, {"password", "alice password"}});
    EXPECT_EQ(login["code"], "unavailable") << login.dump();
    EXPECT_EQ(alice->request({{"type", "ping"}})["type"], "ok");
    // A deletion is stored with its audit entry in one commit: both refused together.
    json deletion = {{"type", "delete"}, {"channel_id", channel}, {"sequence", before}};
    EXPECT_EQ(alice->request(deletion)["code"], "unavailable");

    fs::remove(data_ / "filler");
    json retried = send(*alice, channel, refused_id);
    ASSERT_EQ(retried["type"], "ok") << retried.dump();
    EXPECT_EQ(retried["duplicate"], false) << "the refused send was stored after all";
    acknowledged.push_back(refused_id);
    EXPECT_EQ(stored_ids(*alice, channel), acknowledged);
    EXPECT_EQ(later->request({{"type", "auth"}, {"username", "alice"}, {"password", "alice password"}})["type"], "ok");
    EXPECT_EQ(alice->request(deletion)["type"], "ok");
    EXPECT_TRUE(audit_chain_verifies());
}

}  // namespace
}  // namespace lanchat

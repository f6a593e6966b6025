// A Channel group commit interrupted by kill -9, on a real node through the mesh: many senders at once (so
// appends and deletions share commits), the node killed mid-stream, restarted, and its files read: every
// acknowledged send and deletion is there, and whatever is there is whole (gapless, with its own body, and a
// deletion with its audit entry).
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "build_paths.hpp"
#include "child_process.hpp"
#include "eventually.hpp"
#include "grpc_client.hpp"
#include "lanchat/audit/v1/audit.pb.h"
#include "lanchat/channel/v1/channel.pb.h"
#include "lanchat/router/v1/router.pb.h"
#include "parsed_reply.hpp"
#include "service_node.hpp"
#include "temp_dir.hpp"

namespace lanchat {
namespace {

using namespace lanchat::testing;
namespace fs = std::filesystem;
namespace av1 = lanchat::audit::v1;
namespace cv1 = lanchat::channel::v1;
namespace rv1 = lanchat::router::v1;

const std::string kChannel = "/lanchat.channel.v1.Channel/";
const std::string kRouter = "/lanchat.router.v1.Router/";
constexpr int kSenders = 10;

// The rows `sql` selects from the SQLite file `file`, each column read as bytes.
std::vector<std::vector<std::string>> rows(const fs::path& file, const std::string& sql) {
    sqlite3* db = nullptr;
    std::vector<std::vector<std::string>> found;
    EXPECT_EQ(sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK) << file;
    sqlite3_stmt* statement = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    while (statement != nullptr && sqlite3_step(statement) == SQLITE_ROW) {
        std::vector<std::string>& row = found.emplace_back();
        for (int column = 0; column < sqlite3_column_count(statement); ++column) {
            const auto* data = static_cast<const char*>(sqlite3_column_blob(statement, column));
            row.emplace_back(data != nullptr ? data : "", static_cast<size_t>(sqlite3_column_bytes(statement, column)));
        }
    }
    sqlite3_finalize(statement);
    sqlite3_close(db);
    return found;
}

class GroupCommitCrashTest : public ::testing::Test {
protected:
    void SetUp() override {
        make_service_pki(kLanchatctl, pki_, "audit,channel,router", "gateway");
        dir_.write("n.toml", service_node_file(pki_, kPluginDir, {{"audit", ""}, {"channel", ""}, {"router", ""}}));
    }

    void start() {
        std::tie(node_, address_) = start_service_node(kLanchatd, dir_.path() / "n.toml");
        auto as_gateway = [&](const char* service) {
            return channel_to(address_, pki_ / "ca.crt",
                              {pki_ / "nodes/clients/gateway.crt", pki_ / "nodes/clients/gateway.key"},
                              std::string(service) + ".lan-chat.svc");
        };
        channels_ = as_gateway("channel");
        router_ = as_gateway("router");
    }

    std::string general_with_senders() {
        cv1::CreateChannelRequest create;
        create.mutable_actor()->set_user_id("u0");
        create.set_name("general");
        create.set_kind(cv1::PUBLIC);
        const std::string id =
            parsed<cv1::ChannelInfo>(call(channels_, kChannel + "CreateChannel", create.SerializeAsString())).id();
        for (int sender = 1; sender < kSenders; ++sender) {
            cv1::JoinRequest join;
            join.mutable_actor()->set_user_id("u" + std::to_string(sender));
            join.set_channel_id(id);
            EXPECT_TRUE(call(channels_, kChannel + "Join", join.SerializeAsString()).status.ok());
        }
        return id;
    }

    // The whole log of `channel`, page by page.
    std::vector<cv1::Message> history(const std::string& channel) {
        std::vector<cv1::Message> log;
        for (bool more = true; more;) {
            cv1::HistoryRequest request;
            request.mutable_actor()->set_user_id("u0");
            request.set_channel_id(channel);
            request.set_direction(cv1::HistoryRequest::AFTER);
            request.set_from_sequence(log.size());
            request.set_limit(500);
            auto page = parsed<cv1::HistoryReply>(call(channels_, kChannel + "History", request.SerializeAsString()));
            log.insert(log.end(), page.messages().begin(), page.messages().end());
            more = page.more() && page.messages_size() > 0;
        }
        return log;
    }

    // The message sequences whose deletion Audit has recorded or Channel still holds in its outbox to send.
    std::set<uint64_t> audited_deletions() {
        std::map<std::string, std::string> sequence_by_key;  // a resent entry has the same idempotency key
        for (const auto& row : rows(dir_.path() / "data/channel/channel.sqlite", "SELECT entry FROM audit_outbox")) {
            av1::AppendRequest entry;
            EXPECT_TRUE(entry.ParseFromString(row.at(0)));
            if (entry.action() == "message_deleted")
                sequence_by_key[entry.idempotency_key()] = entry.details().at("sequence");
        }
        for (const auto& row : rows(dir_.path() / "data/audit/audit.sqlite",
                                    "SELECT idempotency_key, details FROM entries WHERE action = 'message_deleted'")) {
            av1::Entry details;  // stored as an Entry holding only its details
            EXPECT_TRUE(details.ParseFromString(row.at(1)));
            sequence_by_key[row.at(0)] = details.details().at("sequence");
        }
        std::set<uint64_t> sequences;
        for (const auto& [key, sequence] : sequence_by_key) sequences.insert(std::stoull(sequence));
        EXPECT_EQ(sequences.size(), sequence_by_key.size()) << "a deletion was audited twice under two keys";
        return sequences;
    }

    TempDir dir_;
    fs::path pki_ = dir_.path() / "pki";
    std::unique_ptr<ChildProcess> node_;
    std::string address_;
    std::shared_ptr<grpc::Channel> channels_, router_;
};

TEST_F(GroupCommitCrashTest, AGroupCommitInterruptedByKillDashNineKeepsEveryAcknowledgedWriteAndNothingHalf) {
    start();
    const std::string general = general_with_senders();
    std::mutex mutex;
    std::map<std::string, uint64_t> acknowledged;  // client_message_id -> sequence
    std::set<uint64_t> deleted;                    // acknowledged deletions, by the deleted message's sequence
    std::atomic<int> answers = 0;
    std::vector<std::thread> senders;
    for (int sender = 0; sender < kSenders; ++sender) {
        senders.emplace_back([&, sender] {
            const std::string user = "u" + std::to_string(sender);
            uint64_t last_sent = 0;
            for (int i = 0;; ++i) {
                const std::string id = user + "-" + std::to_string(i);
                rv1::SendRequest send;
                send.set_user_id(user);
                send.set_channel_id(general);
                send.set_body("body of " + id);
                send.set_client_message_id(id);
                Reply sent = call(router_, kRouter + "Send", send.SerializeAsString());
                rv1::SendReply reply;
                if (!sent.status.ok() || !reply.ParseFromString(sent.bytes)) return;  // the node is gone
                {
                    std::lock_guard lock(mutex);
                    acknowledged[id] = reply.sequence();
                }
                ++answers;
                if (i % 4 == 3) {  // now and then the sender deletes what it sent before
                    rv1::DeleteRequest remove;
                    remove.set_user_id(user);
                    remove.set_channel_id(general);
                    remove.set_sequence(last_sent);
                    if (!call(router_, kRouter + "Delete", remove.SerializeAsString()).status.ok()) return;
                    std::lock_guard lock(mutex);
                    deleted.insert(last_sent);
                }
                last_sent = reply.sequence();
            }
        });
    }
    ASSERT_TRUE(eventually([&] { return answers >= 300; }, 1000, std::chrono::milliseconds(10)));
    node_->send_signal(SIGKILL);
    node_->wait_exit();
    for (std::thread& sender : senders) sender.join();

    start();
    const std::vector<cv1::Message> log = history(general);
    ASSERT_GE(log.size(), acknowledged.size() + deleted.size());
    std::map<std::string, uint64_t> stored;  // client_message_id -> sequence
    std::set<uint64_t> stored_deletions;
    for (size_t i = 0; i < log.size(); ++i) {
        ASSERT_EQ(log[i].sequence(), i + 1) << "the log has a gap";
        if (log[i].event() == cv1::Message::DELETED) {
            EXPECT_TRUE(stored_deletions.insert(log[i].target_sequence()).second);
        }
    }
    for (const cv1::Message& message : log) {
        if (message.event() == cv1::Message::DELETED || message.event() == cv1::Message::JOINED) continue;
        ASSERT_EQ(message.event(), cv1::Message::POSTED);
        EXPECT_TRUE(stored.emplace(message.client_message_id(), message.sequence()).second)
            << message.client_message_id() << " is in the log twice";
        // A deletion erases the text in its own commit: a message is whole, or deleted and empty.
        const bool erased = stored_deletions.count(message.sequence()) != 0;
        EXPECT_EQ(message.body(), erased ? "" : "body of " + message.client_message_id());
    }
    for (const auto& [id, sequence] : acknowledged) {
        EXPECT_EQ(stored[id], sequence) << "acknowledged send " << id << " is missing";
    }
    for (uint64_t sequence : deleted) EXPECT_TRUE(stored_deletions.count(sequence)) << sequence;
    node_->send_signal(SIGTERM);
    ASSERT_EQ(node_->wait_exit(), 0);
    EXPECT_EQ(audited_deletions(), stored_deletions);
}

}  // namespace
}  // namespace lanchat

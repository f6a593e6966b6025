// Channel and Router on a real node, through the mesh with a gateway's certificate: three users, public,
// private and direct channels, one delivery stream per edge carrying each message once with the store's
// gapless sequence, membership events announced to it, durability across kill -9, and the refusals.
#include <gtest/gtest.h>
#include <signal.h>

#include <thread>

#include "build_paths.hpp"
#include "child_process.hpp"
#include "eventually.hpp"
#include "grpc_client.hpp"
#include "lanchat/channel/v1/channel.pb.h"
#include "lanchat/presence/v1/presence.pb.h"
#include "lanchat/router/v1/router.pb.h"
#include "parsed_reply.hpp"
#include "service_node.hpp"
#include "temp_dir.hpp"

namespace lanchat {
namespace {

using namespace lanchat::testing;
namespace fs = std::filesystem;
namespace cv1 = lanchat::channel::v1;
namespace rv1 = lanchat::router::v1;
namespace pv1 = lanchat::presence::v1;

const std::string kChannel = "/lanchat.channel.v1.Channel/";
const std::string kRouter = "/lanchat.router.v1.Router/";

class ChatTest : public ::testing::Test {
protected:
    void SetUp() override {
        make_service_pki(kLanchatctl, pki_, "audit,channel,router,presence", "gateway", {"ops"});
        dir_.write("n.toml", service_node_file(pki_, kPluginDir,
                                               {{"audit", ""},
                                                {"channel", ""},
                                                {"router", "max_body_bytes = 1000"},
                                                {"presence", "device_ttl_ms = 500"}}));
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
        presence_ = as_gateway("presence");
        // Renaming or archiving a channel and reading a user's presence are the operators' calls.
        operator_ =
            channel_to(address_, pki_ / "ca.crt",
                       {pki_ / "clients/operator-ops.crt", pki_ / "clients/operator-ops.key"}, "channel.lan-chat.svc");
    }

    std::string create(const std::string& owner, const std::string& name, cv1::Kind kind) {
        cv1::CreateChannelRequest request;
        request.mutable_actor()->set_user_id(owner);
        request.set_name(name);
        request.set_kind(kind);
        return parsed<cv1::ChannelInfo>(call(channels_, kChannel + "CreateChannel", request.SerializeAsString())).id();
    }

    Reply join(const std::string& user, const std::string& channel) {
        cv1::JoinRequest request;
        request.mutable_actor()->set_user_id(user);
        request.set_channel_id(channel);
        return call(channels_, kChannel + "Join", request.SerializeAsString());
    }

    Reply send(const std::string& user, const std::string& channel, const std::string& body, const std::string& id) {
        rv1::SendRequest request;
        request.set_user_id(user);
        request.set_channel_id(channel);
        request.set_body(body);
        request.set_client_message_id(id);
        return call(router_, kRouter + "Send", request.SerializeAsString());
    }

    // An edge's stream, once the Router has registered it (its first item says so).
    std::unique_ptr<StreamReader> subscribe_edge() {
        rv1::SubscribeEdgeRequest request;
        request.set_edge_id("test-edge");
        auto stream = std::make_unique<StreamReader>(router_, kRouter + "SubscribeEdge", request.SerializeAsString());
        EXPECT_TRUE(stream->wait_for(1)) << "the edge stream never registered";
        return stream;
    }

    // channel id -> the sequences delivered, in arrival order.
    static std::map<std::string, std::vector<uint64_t>> delivered(const StreamReader& stream) {
        std::map<std::string, std::vector<uint64_t>> sequences;
        for (const std::string& bytes : stream.messages()) {
            rv1::Delivery delivery;
            EXPECT_TRUE(delivery.ParseFromString(bytes));
            if (delivery.has_message())
                sequences[delivery.message().channel_id()].push_back(delivery.message().sequence());
        }
        return sequences;
    }

    // Waits until `stream` delivered `count` messages (typing notices aside).
    static bool wait_messages(const StreamReader& stream, size_t count) {
        return eventually(
            [&] {
                size_t seen = 0;
                for (const auto& [channel, sequences] : delivered(stream)) seen += sequences.size();
                return seen >= count;
            },
            500, std::chrono::milliseconds(20));
    }

    TempDir dir_;
    fs::path pki_ = dir_.path() / "pki";
    std::unique_ptr<ChildProcess> node_;
    std::string address_;
    std::shared_ptr<grpc::Channel> channels_, router_, presence_, operator_;
};

std::vector<uint64_t> from_to(uint64_t first, uint64_t last) {
    std::vector<uint64_t> sequences;
    for (uint64_t i = first; i <= last; ++i) sequences.push_back(i);
    return sequences;
}

// Each channel's log starts with its members' JOINED events (general: alice, bob, carol; secret: alice,
// bob; the direct channel: both), so the first messages come after them.
TEST_F(ChatTest, AnEdgeStreamCarriesEveryMessageOnceWithTheStoresSequence) {
    start();
    const std::string general = create("alice", "general", cv1::PUBLIC);
    const std::string secret = create("alice", "secret", cv1::PRIVATE);
    ASSERT_TRUE(join("bob", general).status.ok());
    ASSERT_TRUE(join("carol", general).status.ok());
    EXPECT_EQ(join("carol", secret).status.error_code(), grpc::StatusCode::NOT_FOUND);  // uninvited
    cv1::InviteRequest invite;
    invite.mutable_actor()->set_user_id("alice");
    invite.set_channel_id(secret);
    invite.set_user_id("bob");
    ASSERT_TRUE(call(channels_, kChannel + "Invite", invite.SerializeAsString()).status.ok());
    cv1::OpenDirectRequest open;
    open.mutable_actor()->set_user_id("alice");
    open.set_other_user_id("bob");
    const std::string direct =
        parsed<cv1::ChannelInfo>(call(channels_, kChannel + "OpenDirect", open.SerializeAsString())).id();
    open.mutable_actor()->set_user_id("bob");
    open.set_other_user_id("alice");
    EXPECT_EQ(parsed<cv1::ChannelInfo>(call(channels_, kChannel + "OpenDirect", open.SerializeAsString())).id(),
              direct);

    auto edge = subscribe_edge();
    for (int i = 1; i <= 5; ++i) {
        auto reply = parsed<rv1::SendReply>(
            send(i % 2 ? "alice" : "carol", general, "general " + std::to_string(i), "g" + std::to_string(i)));
        EXPECT_EQ(reply.sequence(), 3u + i);
    }
    for (int i = 1; i <= 2; ++i) ASSERT_TRUE(send("alice", secret, "psst", "s" + std::to_string(i)).status.ok());
    ASSERT_TRUE(send("alice", direct, "just you", "d1").status.ok());

    ASSERT_TRUE(wait_messages(*edge, 8));
    auto to_edge = delivered(*edge);
    EXPECT_EQ(to_edge.size(), 3u);
    EXPECT_EQ(to_edge[general], from_to(4, 8));
    EXPECT_EQ(to_edge[secret], from_to(3, 4));
    EXPECT_EQ(to_edge[direct], from_to(3, 3));

    // The refusals, each with its status.
    EXPECT_EQ(send("carol", secret, "let me in", "x1").status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_EQ(send("carol", "c_0000000000000000", "anyone?", "x2").status.error_code(), grpc::StatusCode::NOT_FOUND);
    EXPECT_EQ(send("carol", general, "bad \xC3\x28 utf8", "x3").status.error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(send("carol", general, std::string(1001, 'x'), "x4").status.error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
    Reply conflicting = send("carol", general, "not what g2 said", "g2");
    EXPECT_EQ(conflicting.status.error_code(), grpc::StatusCode::ALREADY_EXISTS);
    auto retried = parsed<rv1::SendReply>(send("carol", general, "general 2", "g2"));
    EXPECT_TRUE(retried.duplicate());
    EXPECT_EQ(retried.sequence(), 5u);
    const std::string old = create("alice", "old", cv1::PUBLIC);
    cv1::ArchiveChannelRequest archive;
    archive.mutable_actor()->set_user_id("alice");
    archive.set_channel_id(old);
    ASSERT_TRUE(call(operator_, kChannel + "ArchiveChannel", archive.SerializeAsString()).status.ok());
    EXPECT_EQ(send("alice", old, "echo", "o1").status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
    cv1::HistoryRequest beyond;
    beyond.mutable_actor()->set_user_id("alice");
    beyond.set_channel_id(general);
    beyond.set_from_sequence(500);
    beyond.set_direction(cv1::HistoryRequest::AFTER);
    EXPECT_EQ(call(channels_, kChannel + "History", beyond.SerializeAsString()).status.error_code(),
              grpc::StatusCode::OUT_OF_RANGE);
    cv1::ListChannelsRequest forged;
    forged.mutable_actor()->set_user_id("alice");
    forged.mutable_page()->set_page_token("not-a-token");
    EXPECT_EQ(call(channels_, kChannel + "ListChannels", forged.SerializeAsString()).status.error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
    // Nothing refused went out; the retry went out again (the edges drop what they have released): a
    // sentinel sent after the refusals comes right after it.
    ASSERT_TRUE(send("alice", general, "sentinel", "g6").status.ok());
    ASSERT_TRUE(wait_messages(*edge, 10));
    to_edge = delivered(*edge);
    EXPECT_EQ(to_edge.size(), 3u);
    EXPECT_EQ(to_edge[general], (std::vector<uint64_t>{4, 5, 6, 7, 8, 5, 9}));
}

// Membership changes go to Channel directly; the Router announces the events they appended to every edge.
TEST_F(ChatTest, AnnouncedMembershipEventsReachTheEdgeStream) {
    start();
    const std::string general = create("alice", "general", cv1::PUBLIC);
    auto edge = subscribe_edge();
    auto joined = parsed<cv1::Member>(join("bob", general));
    ASSERT_EQ(joined.sequence(), 2u);
    rv1::AnnounceRequest announce;
    announce.set_channel_id(general);
    announce.set_after_sequence(0);
    announce.set_through_sequence(joined.sequence());
    ASSERT_TRUE(call(router_, kRouter + "Announce", announce.SerializeAsString()).status.ok());
    ASSERT_TRUE(wait_messages(*edge, 2));
    std::vector<std::pair<int, std::string>> events;
    for (const std::string& bytes : edge->messages()) {
        rv1::Delivery delivery;
        ASSERT_TRUE(delivery.ParseFromString(bytes));
        if (delivery.has_message()) events.emplace_back(delivery.message().event(), delivery.message().author_id());
    }
    EXPECT_EQ(events, (std::vector<std::pair<int, std::string>>{{cv1::Message::JOINED, "alice"},
                                                                {cv1::Message::JOINED, "bob"}}));
    announce.set_through_sequence(17);  // more than 16 entries
    EXPECT_EQ(call(router_, kRouter + "Announce", announce.SerializeAsString()).status.error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
    cv1::MembershipsRequest memberships;
    memberships.set_user_id("bob");
    auto listed =
        parsed<cv1::MembershipsReply>(call(channels_, kChannel + "Memberships", memberships.SerializeAsString()));
    ASSERT_EQ(listed.channels_size(), 1);
    EXPECT_EQ(listed.channels(0).channel_id(), general);
    EXPECT_EQ(listed.channels(0).last_sequence(), 2u);
}

TEST_F(ChatTest, EveryAcknowledgedSendSurvivesKillDashNine) {
    start();
    const std::string general = create("alice", "general", cv1::PUBLIC);
    for (int i = 1; i <= 20; ++i) {
        ASSERT_TRUE(send("alice", general, "m" + std::to_string(i), std::to_string(i)).status.ok());
    }
    node_->send_signal(SIGKILL);
    node_->wait_exit();
    start();
    cv1::HistoryRequest history;
    history.mutable_actor()->set_user_id("alice");
    history.set_channel_id(general);
    history.set_direction(cv1::HistoryRequest::AFTER);
    history.set_limit(100);
    auto page = parsed<cv1::HistoryReply>(call(channels_, kChannel + "History", history.SerializeAsString()));
    ASSERT_EQ(page.messages_size(), 21);  // alice's JOINED event, then the 20 sends
    for (int i = 1; i <= 20; ++i) {
        EXPECT_EQ(page.messages(i).sequence(), static_cast<uint64_t>(i + 1));
        EXPECT_EQ(page.messages(i).body(), "m" + std::to_string(i));
    }
    EXPECT_EQ(parsed<rv1::SendReply>(send("alice", general, "after", "21")).sequence(), 22u);
    node_->send_signal(SIGTERM);
    EXPECT_EQ(node_->wait_exit(), 0);
}

TEST_F(ChatTest, PresenceGoesOfflineByItselfWhenHeartbeatsStop) {
    start();
    pv1::WatchRequest watch;
    watch.add_user_ids("bob");
    StreamReader watcher(presence_, "/lanchat.presence.v1.Presence/Watch", watch.SerializeAsString());
    ASSERT_TRUE(watcher.wait_for(1));  // the current state comes first
    pv1::HeartbeatRequest beat;
    beat.set_user_id("bob");
    beat.set_device_id("bob-laptop");
    beat.set_edge_id("edge-1");
    auto online =
        parsed<pv1::PresenceInfo>(call(presence_, "/lanchat.presence.v1.Presence/Heartbeat", beat.SerializeAsString()));
    EXPECT_EQ(online.status(), pv1::ONLINE);
    EXPECT_EQ(online.edges(0), "edge-1");
    // No more heartbeats: after the 500 ms TTL bob is offline, and the watcher is told.
    ASSERT_TRUE(watcher.wait_for(3, std::chrono::seconds(5)));
    std::vector<pv1::Status> seen;
    for (const std::string& bytes : watcher.messages()) {
        pv1::PresenceInfo info;
        ASSERT_TRUE(info.ParseFromString(bytes));
        seen.push_back(info.status());
    }
    EXPECT_EQ(seen, (std::vector<pv1::Status>{pv1::OFFLINE, pv1::ONLINE, pv1::OFFLINE}));
    pv1::GetRequest get;
    get.add_user_ids("bob");
    EXPECT_EQ(parsed<pv1::GetReply>(call(operator_, "/lanchat.presence.v1.Presence/Get", get.SerializeAsString()))
                  .users(0)
                  .status(),
              pv1::OFFLINE);
    beat.set_user_id(std::string(65, 'x'));
    EXPECT_EQ(call(presence_, "/lanchat.presence.v1.Presence/Heartbeat", beat.SerializeAsString()).status.error_code(),
              grpc::StatusCode::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace lanchat

// RouterService against a real ChannelService and SQLite store, in process (the mesh path is covered by
// tests/integration/chat_test.cpp; ordering and fan-out at the edge by tests/plugins/gateway/).
#include "router_service.hpp"

#include <gtest/gtest.h>

#include <optional>

#include "answer.hpp"
#include "audit_outbox.hpp"
#include "channel_service.hpp"
#include "group_commit.hpp"
#include "sqlite_database.hpp"
#include "temp_dir.hpp"

namespace lanchat::router {
namespace {

using lanchat::testing::wait_for_answer;
using Appended = sdk::Result<channel::v1::AppendReply>;

// The Channel logic's answer to an append, waited for (it comes from the store's committer thread).
Appended appended(channel::ChannelService& channels, const channel::v1::AppendRequest& request) {
    return wait_for_answer<Appended>([&](auto done) { channels.append(request, done); });
}

// Answers the Router's questions with the Channel logic.
class InProcessChannels final : public ChannelLog {
public:
    explicit InProcessChannels(channel::ChannelService& channels) : channels_(channels) {}
    void append(const channel::v1::AppendRequest& request, CallParent, Done<channel::v1::AppendReply> done) override {
        done(appended(channels_, request));
    }
    void amend(const channel::v1::AmendRequest& request, CallParent, Done<channel::v1::AppendReply> done) override {
        done(wait_for_answer<Appended>([&](auto answer) { channels_.amend(request, "corr", answer); }));
    }
    void audience(const channel::v1::AudienceRequest& request, CallParent,
                  Done<channel::v1::AudienceReply> done) override {
        done(channels_.audience(request));
    }
    void history(const channel::v1::HistoryRequest& request, CallParent,
                 Done<channel::v1::HistoryReply> done) override {
        done(channels_.history(request));
    }

private:
    channel::ChannelService& channels_;
};

class RecordingSink final : public DeliverySink {
public:
    bool deliver(const v1::Delivery& delivery) override {
        if (refuse) return false;
        deliveries.push_back(delivery);
        return true;
    }
    void end(const sdk::Status& status) override { ended = status; }

    std::vector<uint64_t> sequences(const std::string& channel_id) const {
        std::vector<uint64_t> sequences;
        for (const auto& delivery : deliveries) {
            if (delivery.has_message() && delivery.message().channel_id() == channel_id) {
                sequences.push_back(delivery.message().sequence());
            }
        }
        return sequences;
    }

    std::vector<v1::Delivery> deliveries;
    bool refuse = false;
    std::optional<sdk::Status> ended;
};

class RouterServiceTest : public ::testing::Test {
protected:
    void SetUp() override {
        database_ = value_or_throw(plugin_support::SqliteDatabase::open(
            dir_.path() / "channel.sqlite", "channel store",
            std::string(channel::kChannelSchema) + plugin_support::AuditOutbox::kSchema));
        commits_ = std::make_unique<plugin_support::GroupCommit>(*database_);
        store_ = value_or_throw(channel::open_sqlite_store(*database_, *commits_));
        channels_ = std::make_unique<channel::ChannelService>(
            *store_, channel::ChannelLimits{}, [this] { return ++now_; }, [] {});
        log_ = std::make_unique<InProcessChannels>(*channels_);
        router_ = std::make_unique<RouterService>(*log_, RouterLimits{100});
        channel::v1::CreateChannelRequest create;
        create.mutable_actor()->set_user_id("alice");
        create.set_name("general");
        create.set_kind(channel::v1::PUBLIC);
        general_ = value_or_throw(channels_->create_channel(create, "corr")).id();
        for (const char* user : {"bob", "carol"}) {
            channel::v1::JoinRequest join;
            join.mutable_actor()->set_user_id(user);
            join.set_channel_id(general_);
            ASSERT_TRUE(channels_->join(join, "corr").ok());
        }
    }

    v1::SendRequest send_request(const std::string& user, const std::string& body, const std::string& id) {
        v1::SendRequest request;
        request.set_user_id(user);
        request.set_channel_id(general_);
        request.set_body(body);
        request.set_client_message_id(id);
        return request;
    }

    sdk::Result<v1::SendReply> send(const std::string& user, const std::string& body, const std::string& id,
                                    RouterService* router = nullptr) {
        std::optional<sdk::Result<v1::SendReply>> reply;
        (router ? router : router_.get())
            ->send(send_request(user, body, id), nullptr,
                   [&](sdk::Result<v1::SendReply> result) { reply = std::move(result); });
        if (!reply) return sdk::Status(sdk::Code::unknown, "no reply yet");
        return std::move(*reply);
    }

    std::shared_ptr<RecordingSink> edge(const std::string& edge_id, RouterService* router = nullptr) {
        auto sink = std::make_shared<RecordingSink>();
        v1::SubscribeEdgeRequest request;
        request.set_edge_id(edge_id);
        value_or_throw((router ? router : router_.get())->subscribe_edge(request, sink));
        return sink;
    }

    lanchat::testing::TempDir dir_;
    int64_t now_ = 1000;
    std::unique_ptr<plugin_support::SqliteDatabase> database_;
    std::unique_ptr<plugin_support::GroupCommit> commits_;
    std::unique_ptr<channel::ChannelStore> store_;
    std::unique_ptr<channel::ChannelService> channels_;
    std::unique_ptr<InProcessChannels> log_;
    std::unique_ptr<RouterService> router_;
    std::string general_;
    static constexpr uint64_t kJoins = 3;  // alice, bob and carol joined: the channel's first three entries
};

TEST_F(RouterServiceTest, EveryEdgeGetsEachMessageOnceBeforeTheSenderHears) {
    auto first = edge("gateway@a");
    auto second = edge("gateway@b");
    for (int i = 1; i <= 3; ++i) {
        std::optional<size_t> delivered_when_answered;
        router_->send(send_request("alice", "hi " + std::to_string(i), "a" + std::to_string(i)), nullptr,
                      [&](sdk::Result<v1::SendReply> reply) {
                          ASSERT_TRUE(reply.ok()) << reply.status().message();
                          EXPECT_EQ(reply->sequence(), kJoins + i);
                          delivered_when_answered = second->deliveries.size();
                      });
        EXPECT_EQ(delivered_when_answered, static_cast<size_t>(i));
    }
    const std::vector<uint64_t> expected{kJoins + 1, kJoins + 2, kJoins + 3};
    EXPECT_EQ(first->sequences(general_), expected);
    EXPECT_EQ(second->sequences(general_), expected);
    EXPECT_EQ(first->deliveries[0].message().body(), "hi 1");
    EXPECT_EQ(first->deliveries[0].message().author_id(), "alice");
}

// "Stored before" is not "delivered before": the first answer may have been lost on its way, so a retry
// goes out again and each edge drops what it has already released.
TEST_F(RouterServiceTest, ARetryIsAnsweredWithTheFirstResultAndGoesOutAgain) {
    auto gateway = edge("gateway@a");
    ASSERT_TRUE(send("alice", "hello", "a1").ok());
    auto retried = send("alice", "hello", "a1");
    ASSERT_TRUE(retried.ok());
    EXPECT_TRUE(retried->duplicate());
    EXPECT_EQ(retried->sequence(), kJoins + 1);
    EXPECT_EQ(gateway->sequences(general_), (std::vector<uint64_t>{kJoins + 1, kJoins + 1}));
}

TEST_F(RouterServiceTest, EditsAndDeletesGoOutAsEventsWithTheirOwnSequence) {
    auto gateway = edge("gateway@a");
    ASSERT_TRUE(send("alice", "teh", "a1").ok());
    v1::EditRequest edit;
    edit.set_user_id("alice");
    edit.set_channel_id(general_);
    edit.set_sequence(kJoins + 1);
    edit.set_body("the");
    std::optional<sdk::Result<v1::SendReply>> edited;
    router_->edit(edit, nullptr, [&](sdk::Result<v1::SendReply> reply) { edited = reply; });
    ASSERT_TRUE(edited && edited->ok());
    EXPECT_EQ((*edited)->sequence(), kJoins + 2);
    v1::DeleteRequest remove;
    remove.set_user_id("bob");
    remove.set_channel_id(general_);
    remove.set_sequence(kJoins + 1);
    std::optional<sdk::Status> refused;
    router_->remove(remove, nullptr, [&](sdk::Result<v1::SendReply> reply) { refused = reply.status(); });
    EXPECT_EQ(refused->code(), sdk::Code::permission_denied);  // not his message: nothing goes out
    ASSERT_EQ(gateway->deliveries.size(), 2u);
    EXPECT_EQ(gateway->deliveries[1].message().event(), channel::v1::Message::EDITED);
    EXPECT_EQ(gateway->deliveries[1].message().target_sequence(), kJoins + 1);
}

TEST_F(RouterServiceTest, AnEdgeThatCannotKeepUpIsEndedNotWaitedFor) {
    auto slow = edge("gateway@slow");
    auto live = edge("gateway@live");
    slow->refuse = true;
    ASSERT_TRUE(send("alice", "hello", "1").ok());
    ASSERT_TRUE(slow->ended.has_value());
    EXPECT_EQ(slow->ended->code(), sdk::Code::resource_exhausted);
    EXPECT_EQ(live->sequences(general_), (std::vector<uint64_t>{kJoins + 1}));
    EXPECT_EQ(router_->edges(), 1u);
}

TEST_F(RouterServiceTest, AMembersTypingReachesEveryEdgeAndAStrangersIsRefused) {
    auto gateway = edge("gateway@a");
    v1::TypingRequest typing;
    typing.set_user_id("alice");
    typing.set_channel_id(general_);
    std::optional<sdk::Status> answered;
    router_->typing(typing, nullptr, [&](sdk::Result<v1::TypingReply> reply) { answered = reply.status(); });
    ASSERT_TRUE(answered && answered->ok());
    ASSERT_EQ(gateway->deliveries.size(), 1u);
    EXPECT_EQ(gateway->deliveries[0].typing().user_id(), "alice");
    EXPECT_EQ(gateway->deliveries[0].typing().channel_id(), general_);
    typing.set_user_id("mallory");
    router_->typing(typing, nullptr, [&](sdk::Result<v1::TypingReply> reply) { answered = reply.status(); });
    EXPECT_EQ(answered->code(), sdk::Code::permission_denied);
    EXPECT_EQ(gateway->deliveries.size(), 1u);
}

// Nothing about channels or users lives in a Router: two of them over one store, each with its own edges,
// hand out the store's gapless sequence between them.
TEST_F(RouterServiceTest, TwoRoutersShareNothingButTheStoresSequence) {
    RouterService other(*log_, RouterLimits{100});
    auto here = edge("gateway@a");
    auto there = edge("gateway@b", &other);
    ASSERT_EQ(send("alice", "one", "1")->sequence(), kJoins + 1);
    ASSERT_EQ(send("bob", "two", "2", &other)->sequence(), kJoins + 2);
    ASSERT_EQ(send("carol", "three", "3")->sequence(), kJoins + 3);
    EXPECT_EQ(here->sequences(general_), (std::vector<uint64_t>{kJoins + 1, kJoins + 3}));
    EXPECT_EQ(there->sequences(general_), (std::vector<uint64_t>{kJoins + 2}));
}

TEST_F(RouterServiceTest, EndingEveryEdgeStreamTellsEachWhy) {
    auto first = edge("gateway@a");
    auto second = edge("gateway@b");
    router_->end_all({sdk::Code::unavailable, "restarting"});
    for (auto* sink : {first.get(), second.get()}) {
        ASSERT_TRUE(sink->ended.has_value());
        EXPECT_EQ(sink->ended->code(), sdk::Code::unavailable);
    }
    EXPECT_EQ(router_->edges(), 0u);
    ASSERT_TRUE(send("alice", "after", "1").ok());
    EXPECT_TRUE(first->deliveries.empty());
}

TEST_F(RouterServiceTest, AnnouncedEntriesAreReadFromTheLogAndGoToEveryEdge) {
    auto gateway = edge("gateway@a");
    ASSERT_TRUE(send("alice", "hello", "1").ok());
    v1::AnnounceRequest announce;
    announce.set_channel_id(general_);
    announce.set_after_sequence(1);
    announce.set_through_sequence(kJoins);  // bob's and carol's JOINED events
    std::optional<sdk::Status> answered;
    router_->announce(announce, nullptr, [&](sdk::Result<v1::AnnounceReply> reply) { answered = reply.status(); });
    ASSERT_TRUE(answered && answered->ok()) << answered->message();
    EXPECT_EQ(gateway->sequences(general_), (std::vector<uint64_t>{kJoins + 1, 2, 3}));
    EXPECT_EQ(gateway->deliveries[1].message().event(), channel::v1::Message::JOINED);
    EXPECT_EQ(gateway->deliveries[2].message().author_id(), "carol");
    for (auto [after, through] : {std::pair<uint64_t, uint64_t>{3, 3}, {0, 17}}) {
        announce.set_after_sequence(after);
        announce.set_through_sequence(through);
        router_->announce(announce, nullptr, [&](sdk::Result<v1::AnnounceReply> reply) { answered = reply.status(); });
        EXPECT_EQ(answered->code(), sdk::Code::invalid_argument) << after << ".." << through;
    }
}

TEST_F(RouterServiceTest, BadBodiesStrangersAndBadEdgeIdsAreRefused) {
    EXPECT_EQ(send("alice", std::string(101, 'x'), "1").status().code(), sdk::Code::invalid_argument);
    EXPECT_EQ(send("alice", "\xff\xfe", "2").status().code(), sdk::Code::invalid_argument);
    EXPECT_EQ(send("mallory", "hi", "3").status().code(), sdk::Code::permission_denied);
    EXPECT_EQ(send("alice", "hi", "").status().code(), sdk::Code::invalid_argument);
    v1::SubscribeEdgeRequest nameless;
    EXPECT_EQ(router_->subscribe_edge(nameless, std::make_shared<RecordingSink>()).status().code(),
              sdk::Code::invalid_argument);
    nameless.set_edge_id(std::string(65, 'e'));
    EXPECT_EQ(router_->subscribe_edge(nameless, std::make_shared<RecordingSink>()).status().code(),
              sdk::Code::invalid_argument);
}

}  // namespace
}  // namespace lanchat::router

// RouterService against a real ChannelService and SQLite store, in process (the mesh path is covered by
// tests/integration/chat_test.cpp).
#include "router_service.hpp"

#include <gtest/gtest.h>

#include <deque>

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

// Answers the Router's questions with the Channel logic. With `hold_appends`, append answers wait until
// the test releases them, in the order it chooses.
class InProcessChannels final : public ChannelLog {
public:
    explicit InProcessChannels(channel::ChannelService& channels) : channels_(channels) {}
    void append(const channel::v1::AppendRequest& request, Done<channel::v1::AppendReply> done) override {
        Appended result = appended(channels_, request);
        if (hold_appends) {
            held.emplace_back([result, done] { done(result); });
            return;
        }
        done(result);
    }
    void amend(const channel::v1::AmendRequest& request, Done<channel::v1::AppendReply> done) override {
        done(wait_for_answer<Appended>([&](auto answer) { channels_.amend(request, "corr", answer); }));
    }
    void audience(const channel::v1::AudienceRequest& request, Done<channel::v1::AudienceReply> done) override {
        done(channels_.audience(request));
    }
    void history(const channel::v1::HistoryRequest& request, Done<channel::v1::HistoryReply> done) override {
        done(channels_.history(request));
    }

    bool hold_appends = false;
    std::deque<std::function<void()>> held;

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
        router_ = std::make_unique<RouterService>(*log_, RouterLimits{100, std::chrono::milliseconds(0)});
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

    sdk::Result<v1::SendReply> send(const std::string& user, const std::string& body, const std::string& id) {
        v1::SendRequest request;
        request.set_user_id(user);
        request.set_channel_id(general_);
        request.set_body(body);
        request.set_client_message_id(id);
        std::optional<sdk::Result<v1::SendReply>> reply;
        router_->send(request, [&](sdk::Result<v1::SendReply> result) { reply = std::move(result); });
        if (!reply) return sdk::Status(sdk::Code::unknown, "no reply yet");
        return std::move(*reply);
    }

    // A Send whose answer the test does not wait for (Channel's answer is held).
    void send_later(const std::string& user, const std::string& body, const std::string& id) {
        v1::SendRequest request;
        request.set_user_id(user);
        request.set_channel_id(general_);
        request.set_body(body);
        request.set_client_message_id(id);
        router_->send(request, [](sdk::Result<v1::SendReply>) {});
    }

    std::shared_ptr<RecordingSink> subscribe(const std::string& user, std::map<std::string, uint64_t> resume = {}) {
        auto sink = std::make_shared<RecordingSink>();
        v1::SubscribeRequest request;
        request.set_user_id(user);
        for (const auto& [channel, after] : resume) (*request.mutable_resume_after())[channel] = after;
        subscription_ = value_or_throw(router_->subscribe(request, sink));
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
    uint64_t subscription_ = 0;
};

TEST_F(RouterServiceTest, MembersReceiveEveryMessageInOrder) {
    auto bob = subscribe("bob");
    auto carol = subscribe("carol");
    for (int i = 1; i <= 3; ++i) {
        auto sent = send("alice", "hi " + std::to_string(i), "a" + std::to_string(i));
        ASSERT_TRUE(sent.ok()) << sent.status().message();
        EXPECT_EQ(sent->sequence(), static_cast<uint64_t>(i));
    }
    EXPECT_EQ(bob->sequences(general_), (std::vector<uint64_t>{1, 2, 3}));
    EXPECT_EQ(carol->sequences(general_), (std::vector<uint64_t>{1, 2, 3}));
    EXPECT_EQ(bob->deliveries[0].message().body(), "hi 1");
    // A retry is answered with the first result and delivered to nobody again.
    auto retried = send("alice", "hi 2", "a2");
    EXPECT_TRUE(retried->duplicate());
    EXPECT_EQ(bob->sequences(general_).size(), 3u);
}

TEST_F(RouterServiceTest, AResumingSubscriberGetsExactlyWhatItMissed) {
    auto bob = subscribe("bob");
    for (int i = 1; i <= 3; ++i) ASSERT_TRUE(send("alice", "m" + std::to_string(i), std::to_string(i)).ok());
    router_->unsubscribe(subscription_);  // bob's connection drops after seeing 3
    for (int i = 4; i <= 6; ++i) ASSERT_TRUE(send("alice", "m" + std::to_string(i), std::to_string(i)).ok());
    auto again = subscribe("bob", {{general_, 3}});
    ASSERT_TRUE(send("alice", "m7", "7").ok());
    EXPECT_EQ(again->sequences(general_), (std::vector<uint64_t>{4, 5, 6, 7}));
    EXPECT_EQ(bob->sequences(general_), (std::vector<uint64_t>{1, 2, 3}));
}

TEST_F(RouterServiceTest, LiveMessagesWaitWhileASubscriberCatchesUp) {
    for (int i = 1; i <= 2; ++i) ASSERT_TRUE(send("alice", "m" + std::to_string(i), std::to_string(i)).ok());
    // Channel answers appends only when released, so a live message can arrive before the history ends.
    log_->hold_appends = true;
    send_later("alice", "m3", "3");
    auto bob = subscribe("bob", {{general_, 0}});
    log_->held.front()();
    log_->held.clear();
    EXPECT_EQ(bob->sequences(general_), (std::vector<uint64_t>{1, 2, 3}));
}

TEST_F(RouterServiceTest, OutOfOrderAnswersAreDeliveredInSequenceOrder) {
    auto bob = subscribe("bob");
    ASSERT_TRUE(send("alice", "first", "1").ok());
    log_->hold_appends = true;
    send_later("alice", "second", "2");
    send_later("carol", "third", "3");
    log_->held.back()();  // the answer for 3 comes first
    EXPECT_EQ(bob->sequences(general_), (std::vector<uint64_t>{1}));
    log_->held.front()();
    EXPECT_EQ(bob->sequences(general_), (std::vector<uint64_t>{1, 2, 3}));
}

TEST_F(RouterServiceTest, AMessageTheRouterNeverSawIsFetchedToCloseTheGap) {
    auto bob = subscribe("bob");
    ASSERT_TRUE(send("alice", "first", "1").ok());
    channel::v1::AppendRequest behind_its_back;  // stored, but its Send never came back through the Router
    behind_its_back.set_channel_id(general_);
    behind_its_back.set_author_id("carol");
    behind_its_back.set_body("lost answer");
    behind_its_back.set_client_message_id("c1");
    ASSERT_TRUE(appended(*channels_, behind_its_back).ok());
    ASSERT_TRUE(send("alice", "third", "3").ok());
    EXPECT_EQ(bob->sequences(general_), (std::vector<uint64_t>{1}));
    router_->check_gaps();
    EXPECT_EQ(bob->sequences(general_), (std::vector<uint64_t>{1, 2, 3}));
}

// Channel stored the message but its first answer never reached the Router; the retry finds it stored.
// "Stored" is not "delivered": the retry delivers it.
TEST_F(RouterServiceTest, ARetryWhoseFirstAnswerWasLostStillDelivers) {
    auto bob = subscribe("bob");
    channel::v1::AppendRequest first_attempt;
    first_attempt.set_channel_id(general_);
    first_attempt.set_author_id("alice");
    first_attempt.set_body("hello");
    first_attempt.set_client_message_id("a1");
    ASSERT_TRUE(appended(*channels_, first_attempt).ok());
    auto retried = send("alice", "hello", "a1");
    ASSERT_TRUE(retried.ok());
    EXPECT_TRUE(retried->duplicate());
    EXPECT_EQ(bob->sequences(general_), (std::vector<uint64_t>{1}));
}

// Just after a (re)start the Router has seen nothing of a channel; a lower sequence answered second is
// not lost: the sequencer starts from the lowest that came within gap_wait.
TEST_F(RouterServiceTest, AfterAStartOutOfOrderAnswersAreNotLost) {
    for (const char* id : {"p1", "p2"}) {
        channel::v1::AppendRequest before_start;
        before_start.set_channel_id(general_);
        before_start.set_author_id("alice");
        before_start.set_body("old");
        before_start.set_client_message_id(id);
        ASSERT_TRUE(appended(*channels_, before_start).ok());
    }
    auto bob = subscribe("bob");
    log_->hold_appends = true;
    send_later("alice", "third", "3");
    send_later("carol", "fourth", "4");
    log_->held.back()();  // 4 answers first
    log_->held.front()();
    router_->check_gaps();
    EXPECT_EQ(bob->sequences(general_), (std::vector<uint64_t>{3, 4}));
}

TEST_F(RouterServiceTest, ASubscriberThatCannotKeepUpIsEndedNotWaitedFor) {
    auto bob = subscribe("bob");
    auto carol = subscribe("carol");
    bob->refuse = true;
    ASSERT_TRUE(send("alice", "hello", "1").ok());
    ASSERT_TRUE(bob->ended.has_value());
    EXPECT_EQ(bob->ended->code(), sdk::Code::resource_exhausted);
    EXPECT_EQ(carol->sequences(general_), (std::vector<uint64_t>{1}));
    EXPECT_EQ(router_->subscriptions(), 1u);
}

TEST_F(RouterServiceTest, TypingReachesTheOtherMembersOnly) {
    auto alice = subscribe("alice");
    auto bob = subscribe("bob");
    v1::TypingRequest typing;
    typing.set_user_id("alice");
    typing.set_channel_id(general_);
    std::optional<sdk::Status> answered;
    router_->typing(typing, [&](sdk::Result<v1::TypingReply> reply) { answered = reply.status(); });
    ASSERT_TRUE(answered && answered->ok());
    ASSERT_EQ(bob->deliveries.size(), 1u);
    EXPECT_EQ(bob->deliveries[0].typing().user_id(), "alice");
    EXPECT_TRUE(alice->deliveries.empty());
    typing.set_user_id("mallory");
    router_->typing(typing, [&](sdk::Result<v1::TypingReply> reply) { answered = reply.status(); });
    EXPECT_EQ(answered->code(), sdk::Code::permission_denied);
}

TEST_F(RouterServiceTest, BadBodiesAndForgedResumePointsAreRefused) {
    EXPECT_EQ(send("alice", std::string(101, 'x'), "1").status().code(), sdk::Code::invalid_argument);
    EXPECT_EQ(send("alice", "\xff\xfe", "2").status().code(), sdk::Code::invalid_argument);
    EXPECT_EQ(send("mallory", "hi", "3").status().code(), sdk::Code::permission_denied);
    auto sink = subscribe("bob", {{general_, 99}});
    ASSERT_TRUE(sink->ended.has_value());
    EXPECT_EQ(sink->ended->code(), sdk::Code::out_of_range);
}

}  // namespace
}  // namespace lanchat::router

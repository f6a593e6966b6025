// EdgeFeeds and its ChannelFeeds against a real ChannelService and SQLite store: the log is real, the
// Router stream is played by handing the appended messages to deliver() in the order a test chooses, and
// the frames the edge writes are recorded per connection.
#include "edge_feeds.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "answer.hpp"
#include "audit_outbox.hpp"
#include "channel_service.hpp"
#include "edge_identity.hpp"
#include "group_commit.hpp"
#include "sqlite_database.hpp"
#include "temp_dir.hpp"

namespace lanchat::gateway {
namespace {

namespace cv1 = channel::v1;
using namespace std::chrono_literals;
using json = nlohmann::json;

constexpr sdk::ConnectionId kBob = 1, kBobsPhone = 2, kCarol = 3;

class EdgeFeedsTest : public ::testing::Test {
protected:
    void SetUp() override {
        database_ = value_or_throw(plugin_support::SqliteDatabase::open(
            dir_.path() / "channel.sqlite", "channel store",
            std::string(channel::kChannelSchema) + plugin_support::AuditOutbox::kSchema));
        commits_ = std::make_unique<plugin_support::GroupCommit>(*database_);
        store_ = value_or_throw(channel::open_sqlite_store(*database_, *commits_));
        channels_ = std::make_unique<channel::ChannelService>(
            *store_, channel::ChannelLimits{}, [this] { return ++unix_ms_; }, [] {});
        cv1::CreateChannelRequest create;
        create.mutable_actor()->set_user_id("alice");
        create.set_name("general");
        create.set_kind(cv1::PUBLIC);
        general_ = value_or_throw(channels_->create_channel(create, "corr")).id();
        for (const char* user : {"bob", "carol"}) ASSERT_EQ(join(user).event(), cv1::Message::JOINED);
    }

    // The entry a Channel change appended, as the Router would pass it on.
    cv1::Message entry(uint64_t sequence) {
        cv1::HistoryRequest read;
        read.mutable_actor()->set_user_id("alice");
        read.set_channel_id(general_);
        read.set_from_sequence(sequence - 1);
        read.set_direction(cv1::HistoryRequest::AFTER);
        read.set_limit(1);
        return value_or_throw(channels_->history(read)).messages(0);
    }
    cv1::Message join(const std::string& user) {
        cv1::JoinRequest request;
        request.mutable_actor()->set_user_id(user);
        request.set_channel_id(general_);
        return entry(value_or_throw(channels_->join(request, "corr")).sequence());
    }
    cv1::Message leave(const std::string& user) {
        cv1::LeaveRequest request;
        request.mutable_actor()->set_user_id(user);
        request.set_channel_id(general_);
        return entry(value_or_throw(channels_->leave(request, "corr")).sequence());
    }
    cv1::Message post(const std::string& body) {
        cv1::AppendRequest request;
        request.set_channel_id(general_);
        request.set_author_id("alice");
        request.set_body(body);
        request.set_client_message_id(body.size() > 64 ? body.substr(body.size() - 64) : body);  // long ones end apart
        using Appended = sdk::Result<cv1::AppendReply>;
        return value_or_throw(
                   lanchat::testing::wait_for_answer<Appended>([&](auto done) { channels_->append(request, done); }))
            .message();
    }
    void deliver(const cv1::Message& message) {
        router::v1::Delivery delivery;
        *delivery.mutable_message() = message;
        run(feeds_.deliver(delivery));
    }

    // Subscribes `id` as `user` with the memberships Channel gives, and makes every read that leads to.
    sdk::Status subscribe(sdk::ConnectionId id, const std::string& user, std::map<std::string, uint64_t> resume = {},
                          bool read_now = true) {
        const uint64_t generation = feeds_.subscribing(id, user);
        cv1::MembershipsRequest request;
        request.set_user_id(user);
        auto memberships = value_or_throw(channels_->memberships(request));
        auto reads =
            feeds_.attach(id, generation, user, {memberships.channels().begin(), memberships.channels().end()}, resume);
        if (!reads.ok()) return reads.status();
        if (read_now) {
            run(*reads);
        } else {
            postponed_ = *reads;
        }
        return {};
    }
    // What Channel answers to `read`.
    sdk::Result<cv1::HistoryReply> history(const HistoryRead& read) {
        cv1::HistoryRequest request;
        request.mutable_actor()->set_user_id(read.reader != 0 ? read.user_id : std::string(kEdgeReader));
        if (read.reader == 0) request.mutable_actor()->add_roles("admin");
        request.set_channel_id(read.channel_id);
        request.set_from_sequence(read.after);
        request.set_direction(cv1::HistoryRequest::AFTER);
        request.set_limit(read.limit);
        ++history_reads_;
        return channels_->history(request);
    }
    // The gateway's read_history, in process. Notes the most bytes of frames one catch-up page pushed.
    void run(const std::vector<HistoryRead>& reads) {
        for (const HistoryRead& read : reads) {
            const size_t pushed_before = pushed_.size();
            EdgeWork work = feeds_.read(read, history(read));
            if (read.reader != 0) {
                size_t bytes = 0;
                for (size_t i = pushed_before; i < pushed_.size(); ++i) bytes += pushed_[i].second.size();
                largest_page_bytes_ = std::max(largest_page_bytes_, bytes);
            }
            interrupted_.insert(interrupted_.end(), work.interrupted.begin(), work.interrupted.end());
            run(work.reads);
        }
    }

    // The sequences of the message frames `id` was sent, and its typing notices' authors.
    std::vector<uint64_t> received(sdk::ConnectionId id) const {
        std::vector<uint64_t> sequences;
        for (const auto& [ids, frame] : pushed_) {
            if (std::find(ids.begin(), ids.end(), id) == ids.end()) continue;
            json parsed = json::parse(frame);
            if (parsed["type"] == "message") sequences.push_back(parsed["sequence"]);
        }
        return sequences;
    }
    std::vector<std::string> typists_seen_by(sdk::ConnectionId id) const {
        std::vector<std::string> typists;
        for (const auto& [ids, frame] : pushed_) {
            json parsed = json::parse(frame);
            if (parsed["type"] == "typing" && std::find(ids.begin(), ids.end(), id) != ids.end())
                typists.push_back(parsed["user_id"]);
        }
        return typists;
    }

    lanchat::testing::TempDir dir_;
    int64_t unix_ms_ = 1000;
    std::unique_ptr<plugin_support::SqliteDatabase> database_;
    std::unique_ptr<plugin_support::GroupCommit> commits_;
    std::unique_ptr<channel::ChannelStore> store_;
    std::unique_ptr<channel::ChannelService> channels_;
    std::string general_;
    SteadyTime now_ = SteadyTime{} + 1h;
    std::vector<std::pair<std::vector<sdk::ConnectionId>, std::string>> pushed_;
    std::vector<HistoryRead> postponed_;
    int history_reads_ = 0;
    size_t largest_page_bytes_ = 0;
    std::vector<std::pair<sdk::ConnectionId, sdk::Status>> interrupted_;
    // Small, so that a few messages reach them: 4 held messages, 64 KiB held, 16 KiB of frames per page.
    static CatchUpLimits small_limits() {
        CatchUpLimits limits;
        limits.held_messages = 4;
        limits.held_bytes = 64 * 1024;
        limits.page_bytes = 16 * 1024;
        return limits;
    }
    EdgeFeeds feeds_{[this](const auto& ids, const std::string& frame) { pushed_.emplace_back(ids, frame); }, 300ms,
                     [this] { return now_; }, small_limits()};
};

std::vector<uint64_t> sequences(uint64_t first, uint64_t last) {
    std::vector<uint64_t> all;
    for (uint64_t sequence = first; sequence <= last; ++sequence) all.push_back(sequence);
    return all;
}

// The log so far: 1 alice joined, 2 bob joined, 3 carol joined.

TEST_F(EdgeFeedsTest, MessagesAreReleasedInSequenceWhateverOrderTheyArriveInAndEachOnlyOnce) {
    ASSERT_TRUE(subscribe(kBob, "bob").ok());
    auto first = post("one"), second = post("two"), third = post("three");
    deliver(third);
    deliver(first);
    EXPECT_EQ(received(kBob), (std::vector<uint64_t>{4}));
    deliver(second);
    deliver(second);  // a retry's second delivery
    EXPECT_EQ(received(kBob), (std::vector<uint64_t>{4, 5, 6}));
}

TEST_F(EdgeFeedsTest, EachMessageIsEncodedOnceForEveryConnectionReadingIt) {
    ASSERT_TRUE(subscribe(kBob, "bob").ok());
    ASSERT_TRUE(subscribe(kBobsPhone, "bob").ok());
    ASSERT_TRUE(subscribe(kCarol, "carol").ok());
    pushed_.clear();
    deliver(post("hello"));
    ASSERT_EQ(pushed_.size(), 1u);
    EXPECT_EQ(pushed_[0].first, (std::vector<sdk::ConnectionId>{kBob, kBobsPhone, kCarol}));
    EXPECT_EQ(json::parse(pushed_[0].second)["body"], "hello");
}

TEST_F(EdgeFeedsTest, AMissingMessageIsReadFromTheHistoryOnceItHasWaitedTheGapWait) {
    ASSERT_TRUE(subscribe(kBob, "bob").ok());
    post("lost on the way");
    deliver(post("after it"));
    EXPECT_TRUE(received(kBob).empty());
    now_ += 299ms;
    EXPECT_TRUE(feeds_.gaps().empty());
    now_ += 1ms;
    auto reads = feeds_.gaps();
    ASSERT_EQ(reads.size(), 1u);
    EXPECT_EQ(reads[0].after, 3u);
    EXPECT_TRUE(feeds_.gaps().empty()) << "one read of a gap at a time";
    run(reads);
    EXPECT_EQ(received(kBob), (std::vector<uint64_t>{4, 5}));
}

TEST_F(EdgeFeedsTest, AConnectionBehindTheFeedCatchesUpFromTheHistoryWhileLiveMessagesWaitForIt) {
    ASSERT_TRUE(subscribe(kBob, "bob").ok());
    for (const char* body : {"a", "b", "c"}) deliver(post(body));
    // carol's new connection has seen up to 4; the feed has released up to 6.
    ASSERT_TRUE(subscribe(kCarol, "carol", {{general_, 4}}, /*read_now=*/false).ok());
    ASSERT_EQ(postponed_.size(), 1u);
    deliver(post("d"));  // live, while carol's history read is on its way
    EXPECT_TRUE(received(kCarol).empty());
    run(postponed_);
    EXPECT_EQ(received(kCarol), (std::vector<uint64_t>{5, 6, 7}));
    deliver(post("e"));
    EXPECT_EQ(received(kCarol), (std::vector<uint64_t>{5, 6, 7, 8}));
    EXPECT_EQ(received(kBob), (std::vector<uint64_t>{4, 5, 6, 7, 8}));
}

TEST_F(EdgeFeedsTest, AJoinedEventAttachesTheUsersConnectionsAndALeftEventDetachesThemAfterIt) {
    ASSERT_TRUE(subscribe(kBob, "bob").ok());
    ASSERT_TRUE(subscribe(kCarol, "dave").ok());  // dave is a member of nothing yet
    deliver(post("before dave"));
    deliver(join("dave"));
    deliver(post("with dave"));
    deliver(leave("dave"));
    deliver(post("after dave"));
    EXPECT_EQ(received(kCarol), (std::vector<uint64_t>{5, 6, 7}));  // his JOINED, the post, his LEFT
    EXPECT_EQ(received(kBob), (std::vector<uint64_t>{4, 5, 6, 7, 8}));
}

// A JOINED event that arrives while Channel is being asked for the user's memberships: the answer says from
// where the connection reads (it saw the join: from now; it did not: from the JOINED event on).
TEST_F(EdgeFeedsTest, AJoinedEventDuringASubscribeIsAttachedFromWhereTheMembershipsAnswerSays) {
    ASSERT_TRUE(subscribe(kBob, "bob").ok());  // the channel's feed exists: bob reads it
    const uint64_t seen_generation = feeds_.subscribing(kCarol, "dave");
    auto joined_seen = join("dave");  // committed before the memberships are read
    cv1::MembershipsRequest request;
    request.set_user_id("dave");
    auto memberships = value_or_throw(channels_->memberships(request));
    deliver(joined_seen);  // ... and delivered while the answer is on its way
    run(value_or_throw(feeds_.attach(kCarol, seen_generation, "dave",
                                     {memberships.channels().begin(), memberships.channels().end()}, {})));
    deliver(post("after the subscribe"));
    EXPECT_EQ(received(kCarol), (std::vector<uint64_t>{joined_seen.sequence() + 1}));  // "from now" only

    const uint64_t unseen_generation = feeds_.subscribing(kBobsPhone, "erin");
    request.set_user_id("erin");
    auto before_the_join = value_or_throw(channels_->memberships(request));  // read before erin joins
    auto joined_unseen = join("erin");
    deliver(joined_unseen);
    run(value_or_throw(feeds_.attach(kBobsPhone, unseen_generation, "erin",
                                     {before_the_join.channels().begin(), before_the_join.channels().end()}, {})));
    deliver(post("for erin too"));
    EXPECT_EQ(received(kBobsPhone), (std::vector<uint64_t>{joined_unseen.sequence(), joined_unseen.sequence() + 1}));
}

// The JOINED event is the first this edge hears of the channel: nobody here followed it before.
TEST_F(EdgeFeedsTest, AJoinedEventStartsAFeedForAChannelNobodyHereFollowed) {
    ASSERT_TRUE(subscribe(kBob, "dave").ok());
    EXPECT_EQ(feeds_.feeds(), 0u);
    auto joined = join("dave");
    auto overtook = post("came before the JOINED event");
    deliver(overtook);  // dropped: no feed yet
    deliver(joined);
    EXPECT_EQ(feeds_.feeds(), 1u);
    EXPECT_EQ(received(kBob), (std::vector<uint64_t>{4}));
    run(feeds_.gaps());  // what the stream brought before the feed existed is read at once
    EXPECT_EQ(received(kBob), (std::vector<uint64_t>{4, 5}));
}

TEST_F(EdgeFeedsTest, AClosedConnectionLeavesEveryFeedAndAFeedWithoutReadersGoes) {
    ASSERT_TRUE(subscribe(kBob, "bob").ok());
    ASSERT_EQ(feeds_.feeds(), 1u);
    feeds_.closed(kBob);
    EXPECT_EQ(feeds_.feeds(), 0u);
    deliver(post("to nobody here"));
    EXPECT_TRUE(pushed_.empty());
}

TEST_F(EdgeFeedsTest, AfterTheStreamWasDownTheKnownEndOfTheLogIsReadWithoutWaiting) {
    ASSERT_TRUE(subscribe(kBob, "bob").ok());
    post("while the stream was down");
    EXPECT_EQ(feeds_.followed(), (std::vector<std::string>{general_}));
    cv1::PositionsRequest request;
    request.add_channel_ids(general_);
    auto positions = value_or_throw(channels_->positions(request));
    feeds_.reaches({positions.positions().begin(), positions.positions().end()});
    run(feeds_.gaps());
    EXPECT_EQ(received(kBob), (std::vector<uint64_t>{4}));
}

TEST_F(EdgeFeedsTest, TypingGoesToTheChannelsReadersHereButNotToTheTypist) {
    ASSERT_TRUE(subscribe(kBob, "bob").ok());
    ASSERT_TRUE(subscribe(kCarol, "carol").ok());
    router::v1::Delivery delivery;
    delivery.mutable_typing()->set_channel_id(general_);
    delivery.mutable_typing()->set_user_id("carol");
    feeds_.deliver(delivery);
    EXPECT_EQ(typists_seen_by(kBob), (std::vector<std::string>{"carol"}));
    EXPECT_TRUE(typists_seen_by(kCarol).empty());
}

TEST_F(EdgeFeedsTest, AResumePointPastTheEndIsRefusedAndAStaleSubscribeIsCancelled) {
    EXPECT_EQ(subscribe(kBob, "bob", {{general_, 4}}).code(), sdk::Code::out_of_range);
    EXPECT_TRUE(subscribe(kBob, "bob", {{"c_notamember00000", 9}}).ok());  // not his channel: ignored
    const uint64_t older = feeds_.subscribing(kCarol, "carol");
    feeds_.subscribing(kCarol, "carol");
    EXPECT_EQ(feeds_.attach(kCarol, older, "carol", {}, {}).status().code(), sdk::Code::cancelled);
    EXPECT_LE(history_reads_, 1);
}

TEST_F(EdgeFeedsTest, AUsersOwnLeaveAndRejoinInsideOneCatchUpKeepItsConnectionAttachedFromTheRejoin) {
    ASSERT_TRUE(subscribe(kBob, "bob").ok());
    deliver(post("a"));  // 4: the feed is ahead of carol's resume point
    ASSERT_TRUE(subscribe(kCarol, "carol", {{general_, 3}}, /*read_now=*/false).ok());
    leave("carol");          // 5
    post("while away");      // 6
    join("carol");           // 7
    post("back");            // 8
    run(postponed_);         // one catch-up page brings all of them
    deliver(post("later"));  // 9
    EXPECT_EQ(received(kCarol), (std::vector<uint64_t>{4, 5, 7, 8, 9}));
}

TEST_F(EdgeFeedsTest, AJoinedEventThatComesAfterTheFeedBeganPastItStillAttachesTheUsersConnections) {
    ASSERT_TRUE(subscribe(kCarol, "dave").ok());  // a member of nothing; nobody here follows the channel
    auto joined = join("dave");                   // 4, still on its way
    ASSERT_TRUE(subscribe(kBob, "bob").ok());     // the feed begins at 5
    deliver(joined);
    deliver(post("with dave"));  // 5
    EXPECT_EQ(received(kCarol), (std::vector<uint64_t>{4, 5}));
    deliver(joined);  // the same event again attaches nothing twice
    EXPECT_EQ(received(kCarol), (std::vector<uint64_t>{4, 5}));
}

TEST_F(EdgeFeedsTest, AJoinedEventAGapReadReleasesDuringTheUsersSubscribeAttachesItsConnection) {
    ASSERT_TRUE(subscribe(kBob, "bob").ok());
    const uint64_t generation = feeds_.subscribing(kCarol, "dave");
    cv1::MembershipsRequest request;
    request.set_user_id("dave");
    auto before_the_join = value_or_throw(channels_->memberships(request));
    join("dave");                // 4: lost on the stream
    deliver(post("with dave"));  // 5 waits for it
    now_ += 300ms;
    run(feeds_.gaps());  // releases 4 and 5 while dave's subscribe is still attaching
    run(value_or_throw(feeds_.attach(kCarol, generation, "dave",
                                     {before_the_join.channels().begin(), before_the_join.channels().end()}, {})));
    EXPECT_EQ(received(kCarol), (std::vector<uint64_t>{4, 5}));
}

TEST_F(EdgeFeedsTest, ALeftEventReleasedWhileItsReaderCatchesUpComesAfterEverythingBeforeItThenDetachesIt) {
    ASSERT_TRUE(subscribe(kBob, "bob").ok());
    for (const char* body : {"a", "b", "c"}) deliver(post(body));  // 4 5 6
    ASSERT_TRUE(subscribe(kCarol, "carol", {{general_, 4}}, /*read_now=*/false).ok());
    deliver(post("d"));       // 7, held for carol
    deliver(leave("carol"));  // 8, held for carol
    run(postponed_);
    deliver(post("after carol"));  // 9
    EXPECT_EQ(received(kCarol), (std::vector<uint64_t>{5, 6, 7, 8}));
    EXPECT_EQ(received(kBob), (std::vector<uint64_t>{4, 5, 6, 7, 8, 9}));
}

TEST_F(EdgeFeedsTest, ASubscribeOfAConnectionThatAuthenticatedAsAnotherUserMeanwhileAttachesNothing) {
    feeds_.closed(kCarol);  // carol's connection authenticates as dave, before her subscribe got going
    const uint64_t generation = feeds_.subscribing(kCarol, "carol");  // ... which still names carol
    cv1::MembershipsRequest request;
    request.set_user_id("carol");
    auto carols = value_or_throw(channels_->memberships(request));
    auto attached = feeds_.attach(kCarol, generation, "dave", {carols.channels().begin(), carols.channels().end()}, {});
    EXPECT_EQ(attached.status().code(), sdk::Code::cancelled);
    deliver(post("for carol"));
    EXPECT_TRUE(received(kCarol).empty());
    EXPECT_EQ(feeds_.feeds(), 0u);
}

// A reader whose catch-up is slow (its first page was read before the live messages came) holds at most
// the limit of them; past it they are dropped and read from the history: each reaches it once, in order.
TEST_F(EdgeFeedsTest, AReaderThatDoesNotCatchUpHoldsAtMostTheLimitAndReadsTheDroppedOnesFromTheHistory) {
    ASSERT_TRUE(subscribe(kBob, "bob").ok());
    deliver(post("a"));  // 4: the feed is ahead of carol's resume point
    ASSERT_TRUE(subscribe(kCarol, "carol", {{general_, 3}}, /*read_now=*/false).ok());
    ASSERT_EQ(postponed_.size(), 1u);
    const sdk::Result<cv1::HistoryReply> first_page = history(postponed_[0]);  // read now, answered late
    for (int i = 0; i < 10; ++i) {
        deliver(post("live " + std::to_string(i)));  // 5..14
        EXPECT_LE(feeds_.held(), 4u);
    }
    EXPECT_TRUE(received(kCarol).empty());
    EdgeWork work = feeds_.read(postponed_[0], first_page);
    run(work.reads);
    EXPECT_EQ(received(kCarol), sequences(4, 14));
    EXPECT_EQ(feeds_.held(), 0u);
    deliver(post("after"));
    EXPECT_EQ(received(kCarol), sequences(4, 15));
    EXPECT_EQ(received(kBob), sequences(4, 15));
}

// The held bytes are bounded too: a few heavy messages are dropped as soon as they would pass the limit.
TEST_F(EdgeFeedsTest, HeavyLiveMessagesHeldForAReaderAreBoundedByBytes) {
    ASSERT_TRUE(subscribe(kBob, "bob").ok());
    deliver(post("a"));  // 4
    ASSERT_TRUE(subscribe(kCarol, "carol", {{general_, 3}}, /*read_now=*/false).ok());
    deliver(post(std::string(16300, 'x') + "1"));  // 5: about 16.5 KB of frame
    deliver(post(std::string(16300, 'x') + "2"));  // 6
    deliver(post(std::string(16300, 'x') + "3"));  // 7
    EXPECT_EQ(feeds_.held(), 3u);
    deliver(post(std::string(16300, 'x') + "4"));  // 8 would pass 64 KiB: all four go
    EXPECT_EQ(feeds_.held(), 0u);
    run(postponed_);
    EXPECT_EQ(received(kCarol), sequences(4, 8));
}

// One catch-up page of heavy messages would not fit the connection's send queue (the client edge would
// close it with 4008, and it would get the same page after reconnecting): pages are cut to page_bytes.
TEST_F(EdgeFeedsTest, ACatchUpPageOfHeavyMessagesIsHandedOnAtMostPageBytesAtATime) {
    for (int i = 0; i < 10; ++i) post(std::string(5000, 'x') + std::to_string(i));  // 4..13, ~5 KB frames
    ASSERT_TRUE(subscribe(kCarol, "carol", {{general_, 3}}).ok());
    EXPECT_EQ(received(kCarol), sequences(4, 13));
    EXPECT_LE(largest_page_bytes_, 16u * 1024);
    EXPECT_GE(history_reads_, 4);  // three messages a page
    deliver(post("live"));
    EXPECT_EQ(received(kCarol), sequences(4, 14));
}

// A catch-up read that fails for any reason but "may not read it" is tried again after a pause, the live
// messages waiting meanwhile; only when it keeps failing is the client told (resubscribe).
TEST_F(EdgeFeedsTest, AFailedCatchUpReadIsTriedAgainAndTheClientIsToldOnlyWhenItKeepsFailing) {
    ASSERT_TRUE(subscribe(kBob, "bob").ok());
    deliver(post("a"));  // 4
    ASSERT_TRUE(subscribe(kCarol, "carol", {{general_, 3}}, /*read_now=*/false).ok());
    EdgeWork work = feeds_.read(postponed_[0], sdk::Status(sdk::Code::internal, "the disk failed"));
    EXPECT_TRUE(work.interrupted.empty());
    deliver(post("b"));  // 5, held for carol
    EXPECT_TRUE(feeds_.retries().empty()) << "not before the pause";
    now_ += 250ms;
    std::vector<HistoryRead> again = feeds_.retries();
    ASSERT_EQ(again.size(), 1u);
    run(again);
    EXPECT_EQ(received(kCarol), sequences(4, 5));

    ASSERT_TRUE(subscribe(kCarol, "carol", {{general_, 3}}, /*read_now=*/false).ok());
    HistoryRead failing = postponed_[0];
    for (const sdk::Code code : {sdk::Code::resource_exhausted, sdk::Code::cancelled, sdk::Code::unavailable,
                                 sdk::Code::deadline_exceeded, sdk::Code::internal}) {
        EXPECT_TRUE(feeds_.read(failing, sdk::Status(code, "failed")).interrupted.empty());
        now_ += 4s;
        std::vector<HistoryRead> retried = feeds_.retries();
        ASSERT_EQ(retried.size(), 1u);
        failing = retried[0];
    }
    work = feeds_.read(failing, sdk::Status(sdk::Code::internal, "still failing"));
    ASSERT_EQ(work.interrupted.size(), 1u);
    EXPECT_EQ(work.interrupted[0].first, kCarol);
    now_ += 10s;
    EXPECT_TRUE(feeds_.retries().empty());
    deliver(post("c"));
    EXPECT_EQ(received(kCarol), sequences(4, 5)) << "detached until it subscribes again";
}

// Not allowed to read it (it left meanwhile): nothing to deliver, nothing to retry, nothing to tell.
TEST_F(EdgeFeedsTest, ACatchUpItsReaderMayNotMakeEndsQuietly) {
    ASSERT_TRUE(subscribe(kBob, "bob").ok());
    deliver(post("a"));  // 4
    ASSERT_TRUE(subscribe(kCarol, "carol", {{general_, 3}}, /*read_now=*/false).ok());
    EdgeWork work = feeds_.read(postponed_[0], sdk::Status(sdk::Code::permission_denied, "not a member"));
    EXPECT_TRUE(work.interrupted.empty());
    now_ += 10s;
    EXPECT_TRUE(feeds_.retries().empty());
    deliver(post("b"));
    EXPECT_TRUE(received(kCarol).empty());
}

}  // namespace
}  // namespace lanchat::gateway

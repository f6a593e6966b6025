#include "channel_service.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <map>
#include <tuple>

#include "answer.hpp"
#include "audit_outbox.hpp"
#include "channel_backends.hpp"
#include "group_commit.hpp"
#include "sqlite_database.hpp"
#include "temp_dir.hpp"

namespace lanchat::channel {
namespace {

v1::Actor actor(const std::string& user, bool admin = false) {
    v1::Actor actor;
    actor.set_user_id(user);
    if (admin) actor.add_roles("admin");
    return actor;
}

// Every case runs against both stores (ChannelBackend): SQLite and PostgreSQL.
class ChannelServiceTest : public ::testing::TestWithParam<Backend> {
protected:
    void SetUp() override {
        backend_ = std::make_unique<ChannelBackend>(GetParam());
        service_ = std::make_unique<ChannelService>(
            backend_->store(), ChannelLimits{100}, [this] { return ++now_; }, [this] { ++recorded_; });
    }

    v1::ChannelInfo create(const std::string& owner, const std::string& name, v1::Kind kind = v1::PUBLIC) {
        v1::CreateChannelRequest request;
        *request.mutable_actor() = actor(owner);
        request.set_name(name);
        request.set_kind(kind);
        return value_or_throw(service_->create_channel(request, "corr"));
    }

    sdk::Result<v1::AppendReply> post(const std::string& channel, const std::string& author, const std::string& body,
                                      const std::string& client_id) {
        v1::AppendRequest request;
        request.set_channel_id(channel);
        request.set_author_id(author);
        request.set_body(body);
        request.set_client_message_id(client_id);
        return lanchat::testing::wait_for_answer<sdk::Result<v1::AppendReply>>(
            [&](auto done) { service_->append(request, done); });
    }

    sdk::Result<v1::AppendReply> amended(const v1::AmendRequest& request) {
        return lanchat::testing::wait_for_answer<sdk::Result<v1::AppendReply>>(
            [&](auto done) { service_->amend(request, "corr", done); });
    }

    // An edit of message `sequence` by `author` (its deletion once delete_ is set on the request).
    static v1::AmendRequest amend_request(const std::string& channel, const std::string& author, uint64_t sequence,
                                          const std::string& body) {
        v1::AmendRequest request;
        request.set_channel_id(channel);
        request.set_author_id(author);
        request.set_target_sequence(sequence);
        request.set_body(body);
        return request;
    }

    sdk::Status join(const std::string& channel, const std::string& user) {
        v1::JoinRequest request;
        *request.mutable_actor() = actor(user);
        request.set_channel_id(channel);
        return service_->join(request, "corr").status();
    }

    // Invite and remove take the same request: who asks, in which channel, about whom.
    template <typename Request, typename Reply>
    sdk::Status change_member(sdk::Result<Reply> (ChannelService::*change)(const Request&, const std::string&),
                              const v1::Actor& by, const std::string& channel, const std::string& user) {
        Request request;
        *request.mutable_actor() = by;
        request.set_channel_id(channel);
        request.set_user_id(user);
        return ((*service_).*change)(request, "corr").status();
    }

    sdk::Result<v1::HistoryReply> history(const std::string& channel, const std::string& user, uint64_t from,
                                          v1::HistoryRequest::Direction direction, uint32_t limit) {
        v1::HistoryRequest request;
        *request.mutable_actor() = actor(user);
        request.set_channel_id(channel);
        request.set_from_sequence(from);
        request.set_direction(direction);
        request.set_limit(limit);
        return service_->history(request);
    }

    int64_t audited() { return static_cast<int64_t>(backend_->staged().size()); }

    int64_t now_ = 1'000;
    int recorded_ = 0;
    std::unique_ptr<ChannelBackend> backend_;
    std::unique_ptr<ChannelService> service_;
};

INSTANTIATE_TEST_SUITE_P(BothStores, ChannelServiceTest, lanchat::testing::kBothStores,
                         lanchat::testing::store_backend_name);

TEST_P(ChannelServiceTest, MessagesGetGaplessSequencesAndRetriesStoreNothingNew) {
    auto general = create("alice", "general");
    ASSERT_TRUE(join(general.id(), "bob").ok());
    const uint64_t joins = 2;  // alice's and bob's JOINED events come first
    for (int i = 1; i <= 5; ++i) {
        auto sent = post(general.id(), i % 2 ? "alice" : "bob", "hello " + std::to_string(i), "m" + std::to_string(i));
        ASSERT_TRUE(sent.ok()) << sent.status().message();
        EXPECT_EQ(sent->message().sequence(), joins + i);
    }
    auto retried = post(general.id(), "alice", "hello 3", "m3");
    ASSERT_TRUE(retried.ok());
    EXPECT_TRUE(retried->duplicate());
    EXPECT_EQ(retried->message().sequence(), joins + 3);
    auto conflicting = post(general.id(), "alice", "something else", "m3");
    EXPECT_EQ(conflicting.status().code(), sdk::Code::already_exists);
    EXPECT_EQ(post(general.id(), "bob", "hello 3", "m3")->message().sequence(), joins + 6);  // another author's ids
    EXPECT_EQ(history(general.id(), "alice", 0, v1::HistoryRequest::AFTER, 100)->messages_size(), 8);
}

TEST_P(ChannelServiceTest, PostingNeedsMembershipALiveChannelAndAValidBody) {
    auto general = create("alice", "general");
    EXPECT_EQ(post(general.id(), "mallory", "hi", "x").status().code(), sdk::Code::permission_denied);
    EXPECT_EQ(post("c_doesnotexist", "alice", "hi", "x").status().code(), sdk::Code::not_found);
    EXPECT_EQ(post(general.id(), "alice", std::string(101, 'a'), "x").status().code(), sdk::Code::invalid_argument);
    EXPECT_EQ(post(general.id(), "alice", "bad \xC3\x28", "x").status().code(), sdk::Code::invalid_argument);
    EXPECT_EQ(post(general.id(), "alice", "", "x").status().code(), sdk::Code::invalid_argument);
    EXPECT_EQ(post(general.id(), "alice", "hi", "").status().code(), sdk::Code::invalid_argument);
    v1::ArchiveChannelRequest archive;
    *archive.mutable_actor() = actor("alice");
    archive.set_channel_id(general.id());
    ASSERT_TRUE(service_->archive_channel(archive, "corr").ok());
    EXPECT_EQ(post(general.id(), "alice", "hi", "y").status().code(), sdk::Code::failed_precondition);
}

TEST_P(ChannelServiceTest, AnAdminReadingAPrivateChannelTheyAreNotInIsAudited) {
    auto secret = create("alice", "secret", v1::PRIVATE);
    auto general = create("alice", "general");
    ASSERT_TRUE(post(secret.id(), "alice", "between us", "a1").ok());
    const int64_t before = audited();
    auto read_as = [&](const v1::Actor& who, const std::string& channel) {
        v1::HistoryRequest request;
        *request.mutable_actor() = who;
        request.set_channel_id(channel);
        request.set_direction(v1::HistoryRequest::AFTER);
        request.set_limit(10);
        return service_->history(request, "corr-read");
    };
    ASSERT_TRUE(read_as(actor("alice"), secret.id()).ok());        // a member: nothing to record
    ASSERT_TRUE(read_as(actor("root", true), general.id()).ok());  // a public channel: nor here
    EXPECT_EQ(audited(), before);
    auto read = read_as(actor("root", true), secret.id());
    ASSERT_TRUE(read.ok()) << read.status().message();
    EXPECT_EQ(read->messages_size(), 2);  // alice's JOINED and her message
    EXPECT_EQ(audited(), before + 1);
    const audit::v1::AppendRequest staged = backend_->staged().back();
    EXPECT_EQ(staged.action(), "private_history_read");
    EXPECT_EQ(staged.actor(), "user:root");
    EXPECT_EQ(staged.target(), "channel:" + secret.id());
    EXPECT_EQ(staged.correlation_id(), "corr-read");
}

TEST_P(ChannelServiceTest, PrivateChannelsAreByInvitationAndHiddenFromOthers) {
    auto secret = create("alice", "secret", v1::PRIVATE);
    EXPECT_EQ(join(secret.id(), "bob").code(), sdk::Code::not_found);  // not even shown to exist
    const auto invite = &ChannelService::invite;
    EXPECT_EQ(change_member(invite, actor("carol"), secret.id(), "carol").code(), sdk::Code::not_found);
    ASSERT_TRUE(change_member(invite, actor("alice"), secret.id(), "bob").ok());
    EXPECT_TRUE(post(secret.id(), "bob", "thanks", "b1").ok());
    v1::ListChannelsRequest list;
    *list.mutable_actor() = actor("carol");
    EXPECT_EQ(service_->list_channels(list)->channels_size(), 0);
    *list.mutable_actor() = actor("bob");
    EXPECT_EQ(service_->list_channels(list)->channels_size(), 1);
    // Only the owner (or an admin) manages members.
    const auto remove = &ChannelService::remove;
    EXPECT_EQ(change_member(remove, actor("bob"), secret.id(), "alice").code(), sdk::Code::permission_denied);
    EXPECT_TRUE(change_member(remove, actor("root", true), secret.id(), "bob").ok());
    EXPECT_EQ(post(secret.id(), "bob", "still here?", "b2").status().code(), sdk::Code::permission_denied);
}

TEST_P(ChannelServiceTest, CreatingAChannelNeverTellsThatAPrivateOneOfThatNameExists) {
    create("alice", "merger-plans", v1::PRIVATE);
    v1::CreateChannelRequest request;
    *request.mutable_actor() = actor("mallory");
    request.set_name("merger-plans");
    for (v1::Kind kind : {v1::PRIVATE, v1::PUBLIC}) {
        request.set_kind(kind);
        auto created = service_->create_channel(request, "corr");
        EXPECT_TRUE(created.ok()) << v1::Kind_Name(kind) << ": " << created.status().message();
    }
    request.set_kind(v1::PUBLIC);  // public names are seen by everyone, and stay unique
    EXPECT_EQ(service_->create_channel(request, "corr").status().code(), sdk::Code::already_exists);
}

TEST_P(ChannelServiceTest, DirectChannelsAreFoundAgainByTheirPair) {
    v1::OpenDirectRequest open;
    *open.mutable_actor() = actor("alice");
    open.set_other_user_id("bob");
    auto first = value_or_throw(service_->open_direct(open, "corr"));
    *open.mutable_actor() = actor("bob");
    open.set_other_user_id("alice");
    auto again = value_or_throw(service_->open_direct(open, "corr"));
    EXPECT_EQ(first.id(), again.id());
    EXPECT_EQ(first.kind(), v1::DIRECT);
    EXPECT_EQ(first.member_count(), 2u);
    EXPECT_EQ(join(first.id(), "carol").code(), sdk::Code::not_found);
    open.set_other_user_id("bob");
    EXPECT_EQ(service_->open_direct(open, "corr").status().code(), sdk::Code::invalid_argument);
}

TEST_P(ChannelServiceTest, HistoryPagesBothWaysFromAnyPointAndRefusesOutOfRange) {
    auto general = create("alice", "general");  // 1: alice joined; then 2..11: m1..m10
    for (int i = 1; i <= 10; ++i)
        ASSERT_TRUE(post(general.id(), "alice", "m" + std::to_string(i), std::to_string(i)).ok());
    auto after = value_or_throw(history(general.id(), "bob", 4, v1::HistoryRequest::AFTER, 3));  // public: readable
    ASSERT_EQ(after.messages_size(), 3);
    EXPECT_EQ(after.messages(0).sequence(), 5u);
    EXPECT_TRUE(after.more());
    auto newest = value_or_throw(history(general.id(), "alice", 0, v1::HistoryRequest::BEFORE, 4));
    EXPECT_EQ(newest.messages(0).sequence(), 11u);
    EXPECT_EQ(newest.messages(3).sequence(), 8u);
    auto before = value_or_throw(history(general.id(), "alice", 3, v1::HistoryRequest::BEFORE, 10));
    EXPECT_EQ(before.messages_size(), 2);
    EXPECT_FALSE(before.more());
    EXPECT_EQ(before.messages(1).event(), v1::Message::JOINED);
    EXPECT_EQ(history(general.id(), "alice", 12, v1::HistoryRequest::AFTER, 10).status().code(),
              sdk::Code::out_of_range);
    EXPECT_EQ(history(general.id(), "alice", 13, v1::HistoryRequest::BEFORE, 10).status().code(),
              sdk::Code::out_of_range);
    EXPECT_EQ(value_or_throw(history(general.id(), "alice", 11, v1::HistoryRequest::AFTER, 10)).messages_size(), 0);
}

TEST_P(ChannelServiceTest, EditsAndDeletesAreEventsOfTheirAuthorAndDeletesAreAudited) {
    auto general = create("alice", "general");
    ASSERT_TRUE(join(general.id(), "bob").ok());
    ASSERT_EQ(value_or_throw(post(general.id(), "alice", "teh", "1")).message().sequence(), 3u);  // after 2 joins
    v1::AmendRequest amend = amend_request(general.id(), "bob", 3, "the");
    EXPECT_EQ(amended(amend).status().code(), sdk::Code::permission_denied);
    amend.set_author_id("alice");
    auto edited = value_or_throw(amended(amend));
    EXPECT_EQ(edited.message().sequence(), 4u);
    EXPECT_EQ(edited.message().event(), v1::Message::EDITED);
    EXPECT_EQ(edited.message().target_sequence(), 3u);
    const int64_t before = audited();
    amend.set_delete_(true);
    auto deleted = value_or_throw(amended(amend));
    EXPECT_EQ(deleted.message().event(), v1::Message::DELETED);
    EXPECT_EQ(audited(), before + 1);
    EXPECT_EQ(amended(amend).status().code(), sdk::Code::failed_precondition);  // deleted already
    amend.set_delete_(false);
    EXPECT_EQ(amended(amend).status().code(), sdk::Code::failed_precondition);
    for (uint64_t event : {1, 4}) {  // a JOINED and an EDITED event, not messages
        amend.set_target_sequence(event);
        EXPECT_EQ(amended(amend).status().code(), sdk::Code::not_found);
    }
}

TEST_P(ChannelServiceTest, ADeletedMessagesTextIsGoneFromHistoryAndFromTheStore) {
    auto general = create("alice", "general");  // 1: alice joined
    ASSERT_TRUE(post(general.id(), "alice", "the secret plan", "1").ok());
    v1::AmendRequest amend = amend_request(general.id(), "alice", 2, "the revised secret plan");
    ASSERT_TRUE(amended(amend).ok());
    ASSERT_TRUE(post(general.id(), "alice", "lunch at noon", "3").ok());
    amend.set_delete_(true);
    ASSERT_TRUE(amended(amend).ok());

    auto read = value_or_throw(history(general.id(), "alice", 0, v1::HistoryRequest::AFTER, 100));
    ASSERT_EQ(read.messages_size(), 5);  // the log keeps its places: joined, posted, edited, posted, deleted
    for (int i = 0; i < read.messages_size(); ++i) {
        EXPECT_EQ(read.messages(i).sequence(), static_cast<uint64_t>(i + 1));
        EXPECT_EQ(read.messages(i).body().find("secret"), std::string::npos) << read.messages(i).DebugString();
    }
    EXPECT_EQ(read.messages(3).body(), "lunch at noon");
    // The sender's retry of the first send is still that send, not a conflict.
    auto retried = value_or_throw(post(general.id(), "alice", "the secret plan", "1"));
    EXPECT_TRUE(retried.duplicate());
    EXPECT_EQ(retried.message().sequence(), 2u);

    // No copy of the text is left: not in SQLite's file once its WAL is checkpointed, not in a PostgreSQL row.
    EXPECT_FALSE(backend_->holds_text("secret plan"));
}

TEST_P(ChannelServiceTest, MembershipChangesAreAuditedInTheSameCommit) {
    auto general = create("alice", "general");
    ASSERT_TRUE(join(general.id(), "bob").ok());
    ASSERT_TRUE(join(general.id(), "bob").ok());  // already a member: no change, no entry
    v1::LeaveRequest leave;
    *leave.mutable_actor() = actor("bob");
    leave.set_channel_id(general.id());
    ASSERT_TRUE(service_->leave(leave, "corr").ok());
    EXPECT_EQ(audited(), 3);  // created, joined, left
    EXPECT_EQ(recorded_, 3);
}

TEST_P(ChannelServiceTest, MembershipChangesAreEventsInTheLogWithWhoMadeThem) {
    auto secret = create("alice", "secret", v1::PRIVATE);
    v1::InviteRequest invite;
    *invite.mutable_actor() = actor("alice");
    invite.set_channel_id(secret.id());
    invite.set_user_id("bob");
    EXPECT_EQ(value_or_throw(service_->invite(invite, "corr")).sequence(), 2u);
    EXPECT_EQ(value_or_throw(service_->invite(invite, "corr")).sequence(), 0u);  // a member already: nothing new
    ASSERT_TRUE(post(secret.id(), "bob", "hi", "b1").ok());
    v1::RemoveRequest remove;
    *remove.mutable_actor() = actor("alice");
    remove.set_channel_id(secret.id());
    remove.set_user_id("bob");
    EXPECT_EQ(value_or_throw(service_->remove(remove, "corr")).sequence(), 4u);
    EXPECT_EQ(value_or_throw(service_->remove(remove, "corr")).sequence(), 0u);
    auto general = create("carol", "general");
    ASSERT_TRUE(join(general.id(), "alice").ok());
    ASSERT_TRUE(join(general.id(), "alice").ok());
    v1::LeaveRequest leave;
    *leave.mutable_actor() = actor("alice");
    leave.set_channel_id(general.id());
    EXPECT_EQ(value_or_throw(service_->leave(leave, "corr")).sequence(), 3u);

    auto log = value_or_throw(history(secret.id(), "alice", 0, v1::HistoryRequest::AFTER, 10));
    ASSERT_EQ(log.messages_size(), 4);
    std::vector<std::tuple<v1::Message::Event, std::string, std::string>> seen;
    for (const v1::Message& entry : log.messages())
        seen.emplace_back(entry.event(), entry.author_id(), entry.actor_id());
    EXPECT_EQ(seen, (decltype(seen){{v1::Message::JOINED, "alice", ""},
                                    {v1::Message::JOINED, "bob", "alice"},
                                    {v1::Message::POSTED, "bob", ""},
                                    {v1::Message::LEFT, "bob", "alice"}}));
    auto open = value_or_throw(history(general.id(), "carol", 0, v1::HistoryRequest::AFTER, 10));
    ASSERT_EQ(open.messages_size(), 3);  // carol joined, alice joined (once), alice left
    EXPECT_EQ(open.messages(2).event(), v1::Message::LEFT);
    EXPECT_EQ(open.messages(2).actor_id(), "");

    v1::OpenDirectRequest direct;
    *direct.mutable_actor() = actor("alice");
    direct.set_other_user_id("bob");
    auto pair = value_or_throw(service_->open_direct(direct, "corr"));
    EXPECT_EQ(pair.last_sequence(), 2u);  // both members' JOINED events
    EXPECT_EQ(value_or_throw(service_->open_direct(direct, "corr")).last_sequence(), 2u);
}

TEST_P(ChannelServiceTest, MembershipsPageThroughAUsersChannelsAndPositionsRefuseBadInput) {
    std::map<std::string, uint64_t> expected;
    for (int i = 0; i < 5; ++i) {
        auto channel = create("alice", "room-" + std::to_string(i));
        for (int n = 0; n < i; ++n) ASSERT_TRUE(post(channel.id(), "alice", "x", std::to_string(n)).ok());
        expected[channel.id()] = 1 + i;
    }
    create("bob", "not-alice's");
    v1::MembershipsRequest request;
    request.set_user_id("alice");
    request.mutable_page()->set_page_size(2);
    std::map<std::string, uint64_t> listed;
    int pages = 0;
    for (;; ++pages) {
        auto page = value_or_throw(service_->memberships(request));
        for (const v1::Position& position : page.channels()) listed[position.channel_id()] = position.last_sequence();
        if (page.page().next_page_token().empty()) break;
        request.mutable_page()->set_page_token(page.page().next_page_token());
    }
    EXPECT_EQ(listed, expected);
    EXPECT_EQ(pages, 2);
    request.mutable_page()->set_page_token("bWVtYmVyczp4");  // "members:x": another list's token
    EXPECT_EQ(service_->memberships(request).status().code(), sdk::Code::invalid_argument);
    request.set_user_id("");
    EXPECT_EQ(service_->memberships(request).status().code(), sdk::Code::invalid_argument);

    v1::PositionsRequest positions;
    for (const auto& [id, last] : expected) positions.add_channel_ids(id);
    auto found = value_or_throw(service_->positions(positions));
    ASSERT_EQ(found.positions_size(), 5);
    EXPECT_EQ(found.positions(4).last_sequence(), expected[found.positions(4).channel_id()]);
    positions.add_channel_ids("c_0000000000000000");
    auto missing = service_->positions(positions);
    EXPECT_EQ(missing.status().code(), sdk::Code::not_found);
    EXPECT_NE(missing.status().message().find("c_0000000000000000"), std::string::npos);
    EXPECT_EQ(service_->positions(v1::PositionsRequest()).status().code(), sdk::Code::invalid_argument);
    v1::PositionsRequest too_many;
    for (int i = 0; i < 501; ++i) too_many.add_channel_ids("c_" + std::to_string(i));
    EXPECT_EQ(service_->positions(too_many).status().code(), sdk::Code::invalid_argument);
}

TEST_P(ChannelServiceTest, CoMembersAreThoseWhoShareAnyChannelWithTheUser) {
    auto general = create("alice", "general");
    ASSERT_TRUE(join(general.id(), "bob").ok());
    auto secret = create("carol", "secret", v1::PRIVATE);
    ASSERT_TRUE(change_member(&ChannelService::invite, actor("carol"), secret.id(), "dave").ok());
    v1::OpenDirectRequest direct;
    *direct.mutable_actor() = actor("erin");
    direct.set_other_user_id("alice");
    ASSERT_TRUE(service_->open_direct(direct, "corr").ok());
    create("frank", "elsewhere");

    v1::CoMembersRequest request;
    request.set_user_id("alice");
    for (const char* user : {"frank", "erin", "bob", "carol", "dave", "nobody", "bob"}) request.add_user_ids(user);
    auto shared = value_or_throw(service_->co_members(request));
    // A public channel, a direct one; not the users of channels alice is not in; repeats as asked.
    EXPECT_EQ(std::vector<std::string>(shared.user_ids().begin(), shared.user_ids().end()),
              (std::vector<std::string>{"erin", "bob", "bob"}));
    request.set_user_id("dave");  // a private channel counts too (and dave shares it with himself)
    shared = value_or_throw(service_->co_members(request));
    EXPECT_EQ(std::vector<std::string>(shared.user_ids().begin(), shared.user_ids().end()),
              (std::vector<std::string>{"carol", "dave"}));
    // Leaving the only shared channel ends the relation.
    v1::LeaveRequest leave;
    *leave.mutable_actor() = actor("dave");
    leave.set_channel_id(secret.id());
    ASSERT_TRUE(service_->leave(leave, "corr").ok());
    EXPECT_EQ(value_or_throw(service_->co_members(request)).user_ids_size(), 0);

    EXPECT_EQ(service_->co_members(v1::CoMembersRequest()).status().code(), sdk::Code::invalid_argument);
    v1::CoMembersRequest nobody_named;
    nobody_named.set_user_id("alice");
    EXPECT_EQ(service_->co_members(nobody_named).status().code(), sdk::Code::invalid_argument);
    v1::CoMembersRequest too_many = nobody_named;
    for (int i = 0; i < 1001; ++i) too_many.add_user_ids("u_" + std::to_string(i));
    EXPECT_NE(service_->co_members(too_many).status().message().find("at most 1000"), std::string::npos);
}

// A log written before membership events had no actor_id column; opening it adds one.
TEST(ChannelStoreUpgradeTest, AnOlderLogGainsTheActorColumnAndKeepsItsMessages) {
    lanchat::testing::TempDir dir;
    const std::string older_messages =
        "CREATE TABLE messages (channel_id TEXT NOT NULL, sequence INTEGER NOT NULL, author_id TEXT NOT NULL, "
        "body TEXT NOT NULL, server_time_unix_ms INTEGER NOT NULL, client_message_id TEXT, event INTEGER NOT NULL, "
        "target_sequence INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (channel_id, sequence));"
        "INSERT INTO messages VALUES ('c_old', 1, 'alice', 'from before', 5, 'm1', 1, 0);";
    auto database = sdk::value_or_throw(
        plugin_support::SqliteDatabase::open(dir.path() / "channel.sqlite", "channel store",
                                             older_messages + kChannelSchema + plugin_support::AuditOutbox::kSchema));
    plugin_support::GroupCommit commits(*database);
    auto store = sdk::value_or_throw(open_sqlite_store(*database, commits));
    auto old = sdk::value_or_throw(store->messages("c_old", 0, v1::HistoryRequest::AFTER, 10));
    ASSERT_EQ(old.size(), 1u);
    EXPECT_EQ(old[0].body(), "from before");
    EXPECT_EQ(old[0].actor_id(), "");
    EXPECT_TRUE(open_sqlite_store(*database, commits).ok());  // once only
}

TEST_P(ChannelServiceTest, ForgedPageTokensAndBadNamesAreRefused) {
    for (int i = 0; i < 5; ++i) create("alice", "room-" + std::to_string(i));
    v1::ListChannelsRequest list;
    *list.mutable_actor() = actor("alice");
    list.mutable_page()->set_page_size(2);
    int seen = 0;
    for (;;) {
        auto page = value_or_throw(service_->list_channels(list));
        seen += page.channels_size();
        if (page.page().next_page_token().empty()) break;
        list.mutable_page()->set_page_token(page.page().next_page_token());
    }
    EXPECT_EQ(seen, 5);
    for (const char* forged : {"garbage!", "Y2hhbm5lbHM6", "bWVtYmVyczp4", "' OR 1=1 --"}) {
        list.mutable_page()->set_page_token(forged);
        EXPECT_EQ(service_->list_channels(list).status().code(), sdk::Code::invalid_argument) << forged;
    }
    v1::CreateChannelRequest request;
    *request.mutable_actor() = actor("alice");
    request.set_kind(v1::PUBLIC);
    request.set_name("room-1");
    EXPECT_EQ(service_->create_channel(request, "c").status().code(), sdk::Code::already_exists);
    request.set_name("");
    EXPECT_EQ(service_->create_channel(request, "c").status().code(), sdk::Code::invalid_argument);
    request.set_name("';DROP_TABLE_channels;--");
    EXPECT_TRUE(service_->create_channel(request, "c").ok());
    request.set_name("ok");
    request.set_kind(v1::DIRECT);
    EXPECT_EQ(service_->create_channel(request, "c").status().code(), sdk::Code::invalid_argument);
}

TEST_P(ChannelServiceTest, ChannelNamesAreOneWordOfAtMost64BytesAndEachRefusalSaysWhy) {
    v1::CreateChannelRequest request;
    *request.mutable_actor() = actor("alice");
    request.set_kind(v1::PUBLIC);
    auto refusal = [&](const std::string& name) {
        request.set_name(name);
        auto created = service_->create_channel(request, "c");
        EXPECT_EQ(created.status().code(), sdk::Code::invalid_argument) << name;
        return created.status().message();
    };
    EXPECT_NE(refusal("two words").find("holds a space: a name is one word (join words with - or _)"),
              std::string::npos);
    for (const char* spaced : {"tab\tname", "line\nbreak", "no\u00a0break", "ideographic\u3000space", "zero\u200bwidth",
                               " leading", "trailing "}) {
        EXPECT_NE(refusal(spaced).find("holds a space"), std::string::npos) << spaced;
    }
    EXPECT_EQ(refusal("bell\a"), "the channel name holds a control character");
    EXPECT_EQ(refusal(std::string(65, 'x')), "the channel name is 65 bytes long: at most 64 bytes");
    EXPECT_EQ(refusal(""), "a channel needs a name (one word, at most 64 bytes)");
    EXPECT_EQ(refusal("bad\xff"), "name is not valid UTF-8");

    for (const std::string& name : {std::string(64, 'x'), std::string("café-Ünïcode_2026"), std::string("日本語")}) {
        request.set_name(name);
        EXPECT_TRUE(service_->create_channel(request, "c").ok()) << name;
    }
    v1::RenameChannelRequest rename;
    *rename.mutable_actor() = actor("alice");
    rename.set_channel_id(create("alice", "renamed-later").id());
    rename.set_name("now two words");
    EXPECT_EQ(service_->rename_channel(rename, "c").status().code(), sdk::Code::invalid_argument);
}

}  // namespace
}  // namespace lanchat::channel

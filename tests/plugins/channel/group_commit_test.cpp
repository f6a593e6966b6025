// The Channel store's appends through its group commit: many at once, in one channel and in several.
#include <gtest/gtest.h>

#include <future>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "answer.hpp"
#include "audit_outbox.hpp"
#include "channel_backends.hpp"
#include "channel_service.hpp"
#include "group_commit.hpp"
#include "sqlite_database.hpp"
#include "temp_dir.hpp"

namespace lanchat::channel {
namespace {

using Answer = sdk::Result<v1::AppendReply>;

// Every case runs against both stores (ChannelBackend): SQLite and PostgreSQL.
class ChannelGroupCommitTest : public ::testing::TestWithParam<Backend> {
protected:
    void SetUp() override {
        backend_ = std::make_unique<ChannelBackend>(GetParam());
        commits_ = &backend_->commits();
        service_ = std::make_unique<ChannelService>(
            backend_->store(), ChannelLimits{}, [] { return int64_t{1'000}; }, [] {});
    }

    // A public channel that `members` have joined: its log begins with their JOINED events, 1..members.size().
    std::string channel_with(const std::string& name, const std::vector<std::string>& members) {
        v1::CreateChannelRequest create;
        create.mutable_actor()->set_user_id(members.front());
        create.set_name(name);
        create.set_kind(v1::PUBLIC);
        const std::string id = value_or_throw(service_->create_channel(create, "corr")).id();
        for (const std::string& member : members) {
            v1::JoinRequest join;
            join.mutable_actor()->set_user_id(member);
            join.set_channel_id(id);
            value_or_throw(service_->join(join, "corr"));
        }
        return id;
    }

    static v1::AppendRequest message(const std::string& channel, const std::string& author, const std::string& body,
                                     const std::string& client_id) {
        v1::AppendRequest request;
        request.set_channel_id(channel);
        request.set_author_id(author);
        request.set_body(body);
        request.set_client_message_id(client_id);
        return request;
    }

    std::vector<v1::Message> history(const std::string& channel) {
        v1::HistoryRequest request;
        request.mutable_actor()->set_user_id("u0");
        request.set_channel_id(channel);
        request.set_limit(1000);
        auto read = value_or_throw(service_->history(request));
        return {read.messages().begin(), read.messages().end()};
    }

    int64_t audited() { return static_cast<int64_t>(backend_->staged().size()); }

    // Keeps a first batch (committed on a thread of its own) open until the returned function is called,
    // so what is appended meanwhile becomes the committer's next batch.
    std::function<void()> hold_the_committer() {
        auto release = std::make_shared<std::promise<void>>();
        std::promise<void> entered;
        auto holder = std::make_shared<std::thread>([this, &entered, released = release->get_future().share()] {
            commits_->submit(
                [&entered, released] {
                    entered.set_value();
                    released.wait();
                    return sdk::Status();
                },
                [](sdk::Status) {});
        });
        entered.get_future().wait();
        return [release, holder] {
            release->set_value();
            holder->join();
        };
    }

    std::unique_ptr<ChannelBackend> backend_;
    plugin_support::GroupCommit* commits_ = nullptr;
    std::unique_ptr<ChannelService> service_;
};

INSTANTIATE_TEST_SUITE_P(BothStores, ChannelGroupCommitTest, lanchat::testing::kBothStores,
                         lanchat::testing::store_backend_name);

TEST_P(ChannelGroupCommitTest, ManyConcurrentAppendsAreGaplessPerChannelInAnswerOrderAndShareCommits) {
    std::vector<std::string> authors;
    for (int i = 0; i < 8; ++i) authors.push_back("u" + std::to_string(i));
    const std::vector<std::string> channels = {channel_with("one", authors), channel_with("two", authors),
                                               channel_with("three", authors)};
    const uint64_t commits_before = commits_->commits();
    constexpr int kEach = 60;
    std::mutex mutex;
    std::map<std::string, std::vector<v1::Message>> answered;  // per channel, in the order answers came
    std::map<std::string, uint64_t> first_sequence;            // per client_message_id
    std::vector<Answer> repeats;
    std::vector<std::thread> senders;
    std::vector<std::future<void>> all_answered;
    for (const std::string& author : authors) {
        auto done = std::make_shared<std::promise<void>>();
        all_answered.push_back(done->get_future());
        senders.emplace_back([&, author, done] {
            auto left = std::make_shared<std::atomic<int>>(kEach + kEach / 10);
            auto answer = [&, done, left](const std::string& id, Answer reply) {
                std::lock_guard lock(mutex);
                if (reply.ok() && !reply->duplicate()) {
                    answered[reply->message().channel_id()].push_back(reply->message());
                    first_sequence[id] = reply->message().sequence();
                } else {
                    repeats.push_back(std::move(reply));
                }
                if (--*left == 0) done->set_value();
            };
            for (int i = 0; i < kEach; ++i) {
                const std::string& channel = channels[i % channels.size()];
                const std::string id = author + "-" + std::to_string(i);
                const v1::AppendRequest request = message(channel, author, "from " + id, id);
                service_->append(request, [answer, id](Answer reply) { answer(id, std::move(reply)); });
                if (i % 10 == 0) {  // the same send again at once: very likely in the same batch
                    service_->append(request, [answer, id](Answer reply) { answer(id + "/again", std::move(reply)); });
                }
            }
        });
    }
    for (std::thread& sender : senders) sender.join();
    for (std::future<void>& done : all_answered) done.wait();

    size_t stored = 0;
    const size_t joins = authors.size();
    for (const std::string& channel : channels) {
        const std::vector<v1::Message>& in_answer_order = answered[channel];
        std::vector<v1::Message> log = history(channel);
        ASSERT_GE(log.size(), joins);
        for (size_t i = 0; i < joins; ++i) EXPECT_EQ(log[i].event(), v1::Message::JOINED);
        log.erase(log.begin(), log.begin() + static_cast<std::ptrdiff_t>(joins));
        ASSERT_EQ(in_answer_order.size(), log.size());
        for (size_t i = 0; i < log.size(); ++i) {
            EXPECT_EQ(in_answer_order[i].sequence(), joins + i + 1) << channel;
            EXPECT_EQ(log[i].sequence(), joins + i + 1);
            EXPECT_EQ(log[i].client_message_id(), in_answer_order[i].client_message_id());
            EXPECT_EQ(log[i].body(), "from " + log[i].client_message_id());
        }
        stored += log.size();
    }
    EXPECT_EQ(stored, authors.size() * kEach);
    ASSERT_EQ(repeats.size(), authors.size() * (kEach / 10));
    for (const Answer& repeat : repeats) {
        ASSERT_TRUE(repeat.ok()) << repeat.status().message();
        EXPECT_TRUE(repeat->duplicate());
        EXPECT_EQ(repeat->message().sequence(), first_sequence[repeat->message().client_message_id()]);
    }
    EXPECT_LT(commits_->commits() - commits_before, stored);
}

TEST_P(ChannelGroupCommitTest, ARefusedAppendInsideABatchTakesBackOnlyItself) {
    const std::string general = channel_with("general", {"alice", "bob"});  // 1, 2: alice and bob joined
    const std::string archived = channel_with("archived", {"alice"});
    ASSERT_TRUE(lanchat::testing::wait_for_answer<Answer>([&](auto done) {
                    service_->append(message(general, "alice", "to be deleted", "a0"), done);
                }).ok());
    v1::ArchiveChannelRequest archive;
    archive.mutable_actor()->set_user_id("alice");
    archive.set_channel_id(archived);
    ASSERT_TRUE(service_->archive_channel(archive, "corr").ok());
    const int64_t audited_before = audited();
    const uint64_t commits_before = commits_->commits();

    std::function<void()> release = hold_the_committer();
    std::vector<std::future<Answer>> answers;
    auto append = [&](const v1::AppendRequest& request) {
        auto answer = std::make_shared<std::promise<Answer>>();
        answers.push_back(answer->get_future());
        service_->append(request, [answer](Answer reply) { answer->set_value(std::move(reply)); });
    };
    auto remove = [&](const std::string& author) {
        v1::AmendRequest deletion;
        deletion.set_channel_id(general);
        deletion.set_author_id(author);
        deletion.set_target_sequence(3);
        deletion.set_delete_(true);
        auto answer = std::make_shared<std::promise<Answer>>();
        answers.push_back(answer->get_future());
        service_->amend(deletion, "corr", [answer](Answer reply) { answer->set_value(std::move(reply)); });
    };
    append(message(general, "alice", "kept", "a1"));
    append(message(general, "mallory", "not a member", "m1"));
    append(message(archived, "alice", "too late", "a2"));
    append(message(general, "alice", "another body", "a1"));
    remove("bob");  // not the author: refused, and its audit entry goes with it
    append(message(general, "bob", "kept too", "b1"));
    remove("alice");
    release();

    std::vector<Answer> got;
    for (std::future<Answer>& answer : answers) got.push_back(answer.get());
    ASSERT_TRUE(got[0].ok());
    EXPECT_EQ(got[0]->message().sequence(), 4u);
    EXPECT_EQ(got[1].status().code(), sdk::Code::permission_denied);
    EXPECT_EQ(got[2].status().code(), sdk::Code::failed_precondition);
    EXPECT_EQ(got[3].status().code(), sdk::Code::already_exists);
    EXPECT_EQ(got[4].status().code(), sdk::Code::permission_denied);
    ASSERT_TRUE(got[5].ok());
    EXPECT_EQ(got[5]->message().sequence(), 5u);
    ASSERT_TRUE(got[6].ok());
    EXPECT_EQ(got[6]->message().sequence(), 6u);
    EXPECT_EQ(got[6]->message().event(), v1::Message::DELETED);
    EXPECT_EQ(commits_->commits() - commits_before, 2u);  // the held unit, then all seven together

    const std::vector<v1::Message> log = history(general);
    ASSERT_EQ(log.size(), 6u);
    EXPECT_EQ(log[2].body(), "");  // deleted in the batch
    EXPECT_EQ(log[3].body(), "kept");
    EXPECT_EQ(log[4].body(), "kept too");
    EXPECT_EQ(audited() - audited_before, 1);  // alice's deletion only
}

}  // namespace
}  // namespace lanchat::channel

namespace lanchat::channel {
namespace {

// Two Channel instances on two nodes sharing one PostgreSQL database: each commits its own batches, and
// the channel's row lock orders them, so one log comes out, gapless, with every send once.
TEST(SharedPostgresStoreTest, TwoNodesAppendingToOneChannelAtOnceShareOneGaplessLog) {
    ChannelBackend first(Backend::postgresql);
    std::unique_ptr<ChannelBackend> second = first.another_node();
    auto clock = [] { return int64_t{1'000}; };
    ChannelService on_first(first.store(), ChannelLimits{}, clock, [] {});
    ChannelService on_second(second->store(), ChannelLimits{}, clock, [] {});
    v1::CreateChannelRequest create;
    create.mutable_actor()->set_user_id("alice");
    create.set_name("shared");
    create.set_kind(v1::PUBLIC);
    const std::string channel = value_or_throw(on_first.create_channel(create, "corr")).id();  // 1: alice joined

    constexpr int kEach = 40;
    std::mutex mutex;
    std::map<std::string, std::vector<uint64_t>> sequences;  // per client_message_id, from both nodes
    std::vector<std::future<void>> all_answered;
    std::vector<std::thread> senders;
    for (ChannelService* node : {&on_first, &on_second}) {
        auto done = std::make_shared<std::promise<void>>();
        all_answered.push_back(done->get_future());
        senders.emplace_back([&, node, done] {
            auto left = std::make_shared<std::atomic<int>>(kEach);
            for (int i = 0; i < kEach; ++i) {
                // Both nodes send the same ids (a client retrying through another node): one message each.
                v1::AppendRequest request;
                request.set_channel_id(channel);
                request.set_author_id("alice");
                request.set_client_message_id("m" + std::to_string(i));
                request.set_body("message " + std::to_string(i));
                node->append(request, [&, done, left, id = request.client_message_id()](Answer reply) {
                    std::lock_guard lock(mutex);
                    EXPECT_TRUE(reply.ok()) << reply.status().message();
                    if (reply.ok()) sequences[id].push_back(reply->message().sequence());
                    if (--*left == 0) done->set_value();
                });
            }
        });
    }
    for (std::thread& sender : senders) sender.join();
    for (std::future<void>& done : all_answered) done.wait();

    v1::HistoryRequest read;
    read.mutable_actor()->set_user_id("alice");
    read.set_channel_id(channel);
    read.set_limit(1000);
    auto log = value_or_throw(on_second.history(read));
    ASSERT_EQ(log.messages_size(), kEach + 1);
    for (int i = 0; i < log.messages_size(); ++i) EXPECT_EQ(log.messages(i).sequence(), static_cast<uint64_t>(i + 1));
    ASSERT_EQ(sequences.size(), static_cast<size_t>(kEach));
    for (const auto& [id, answers] : sequences) {
        ASSERT_EQ(answers.size(), 2u) << id;
        EXPECT_EQ(answers[0], answers[1]) << id << ": both nodes answer the one stored message";
    }
}

}  // namespace
}  // namespace lanchat::channel

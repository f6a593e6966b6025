// Overload at the client edge on a real node: members of one channel flood it with sends past what the
// gateway admits (its bounds on writes in flight set small, so a flood is cheap to make), then send at a
// normal rate. What a client sees: every send answered, each refusal at once with `unavailable` or
// `rate_limited` and a retry hint, nothing refused ever stored or delivered, every acknowledged send delivered
// to every member once and in order, and the normal rate served in full as soon as the flood stops.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "build_paths.hpp"
#include "child_process.hpp"
#include "service_node.hpp"
#include "temp_dir.hpp"
#include "websocket_client.hpp"

namespace lanchat {
namespace {

using json = nlohmann::json;
using lanchat::client::Endpoint;
using lanchat::client::WebSocketClient;
using namespace lanchat::testing;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr int kMembers = 3;
constexpr int kFloodPerMember = 120;  // written back to back, far past 4 in flight per connection
constexpr int kNormalPerMember = 20;  // one in flight per member

// One member's connection: requests written without waiting, and everything that comes back sorted into
// answers (by request id) and the channel's posts (membership events left out).
class Member {
public:
    explicit Member(std::unique_ptr<WebSocketClient> socket) : socket_(std::move(socket)) {}

    void write(json frame) { ASSERT_TRUE(socket_->send(frame.dump()).ok()); }
    // Reads until the answer to `id` is in; an "(ended)" answer when the connection broke or stayed quiet.
    json answer(const std::string& id, std::chrono::milliseconds timeout = 10s) {
        while (answers_.count(id) == 0) {
            if (!read_one(timeout)) return json{{"type", "(ended)"}};
        }
        return answers_.at(id);
    }
    json request(json frame) {
        std::string id = "q" + std::to_string(++requests_);
        frame["id"] = id;
        write(frame);
        return answer(id);
    }
    // Reads until nothing has come for `quiet`; then the posts delivered so far.
    const std::vector<json>& posts_after_quiet(std::chrono::milliseconds quiet = 700ms) {
        while (read_one(quiet)) {
        }
        return posts_;
    }
    int resubscribes() const { return resubscribes_; }

private:
    bool read_one(std::chrono::milliseconds timeout) {
        auto text = socket_->receive(timeout);
        if (!text.ok()) return false;
        json frame = json::parse(*text);
        if (frame["type"] == "message") {
            if (frame.value("event", "") == "posted") posts_.push_back(frame);
        } else if (frame["type"] == "resubscribe") {
            ++resubscribes_;  // this test reads everything: a resubscribe would be a fault to see
        } else if (frame.contains("id")) {
            answers_[frame["id"]] = frame;
        }
        return true;
    }

    std::unique_ptr<WebSocketClient> socket_;
    std::map<std::string, json> answers_;
    std::vector<json> posts_;
    int requests_ = 0;
    int resubscribes_ = 0;
};

class OverloadTest : public ::testing::Test {
protected:
    void SetUp() override {
        make_service_pki(kLanchatctl, pki_, "audit,identity,auth,channel,router,presence,gateway", "gateway");
        std::string file = service_node_file(pki_, kPluginDir,
                                             {{"audit", ""},
                                              {"identity", "argon2_memory_kib = 8192\nargon2_iterations = 1"},
                                              {"auth", ""},
                                              {"channel", ""},
                                              {"router", ""},
                                              {"presence", ""},
                                              {"gateway",
                                               "allow_registration = true\nrate_per_second = 100000\n"
                                               "burst = 100000\nmax_writes_in_flight = 6\n"
                                               "max_requests_in_flight = 4"}});
        file += "[client_edge]\nlisten = \"127.0.0.1:0\"\n";
        dir_.write("n.toml", file);
        node_ = std::make_unique<ChildProcess>(std::vector<std::string>{kLanchatd, (dir_.path() / "n.toml").string()});
        auto ready = node_->wait_for_line("\"node ready\"", std::chrono::seconds(60));  // slow under ASan
        ASSERT_TRUE(ready) << node_->output();
        std::string clients = json::parse(*ready)["fields"]["clients"];  // https://127.0.0.1:PORT/
        ASSERT_TRUE(client::parse_address(clients.substr(8, clients.size() - 9), endpoint_).ok()) << clients;
        endpoint_.ca = pki_ / "ca.crt";
    }

    void TearDown() override {
        if (HasFailure() && node_ != nullptr) std::cerr << "--- node output ---\n" << node_->output() << "\n";
    }

    // `kMembers` registered members of one new public channel, each subscribed on its own connection.
    void members_of_a_channel() {
        for (int n = 0; n < kMembers; ++n) {
            auto socket = WebSocketClient::connect(endpoint_, 5s);
            ASSERT_TRUE(socket.ok()) << socket.status().message();
            auto& member = members_.emplace_back(std::make_unique<Member>(std::move(socket).value()));
            ASSERT_EQ(member->request({{"type", "register"},
                                       {"username", "member" + std::to_string(n)},
                                       {"password", "member password"}})["type"],
                      "ok");
            if (n == 0) {
                channel_ = member->request({{"type", "channels.create"}, {"name", "busy"}})["channel"]["id"];
            } else {
                ASSERT_EQ(member->request({{"type", "channels.join"}, {"channel_id", channel_}})["type"], "ok");
            }
            ASSERT_EQ(member->request({{"type", "subscribe"}})["type"], "ok");
        }
    }

    void write_send(Member& member, const std::string& id) {
        member.write({{"type", "send"}, {"id", id}, {"channel_id", channel_}, {"body", id}, {"client_message_id", id}});
    }

    TempDir dir_;
    std::filesystem::path pki_ = dir_.path() / "pki";
    std::unique_ptr<ChildProcess> node_;
    Endpoint endpoint_;
    std::vector<std::unique_ptr<Member>> members_;
    std::string channel_;
};

TEST_F(OverloadTest, AFloodIsRefusedAtOnceAndEveryAcknowledgedSendIsDeliveredToEveryMemberOnceInOrder) {
    members_of_a_channel();
    ASSERT_FALSE(HasFailure());
    std::set<uint64_t> acknowledged;         // sequences
    std::set<std::string> acknowledged_ids;  // bodies (= client_message_ids) that were acknowledged
    std::map<std::string, int> refused;      // code -> count
    auto tally = [&](const std::string& id, const json& answer) {
        if (answer["type"] == "ok") {
            EXPECT_TRUE(acknowledged.insert(answer["sequence"].get<uint64_t>()).second) << "one sequence twice";
            acknowledged_ids.insert(id);
            return;
        }
        ASSERT_EQ(answer["type"], "error") << id << " got no answer: " << answer.dump();
        ++refused[answer["code"]];
        EXPECT_TRUE(answer["code"] == "unavailable" || answer["code"] == "rate_limited") << answer.dump();
        ASSERT_TRUE(answer.contains("retry_after_ms")) << answer.dump();
        EXPECT_GT(answer["retry_after_ms"].get<int64_t>(), 0) << answer.dump();
    };

    // The flood: every member writes all its sends before reading a single answer.
    for (int n = 0; n < kFloodPerMember; ++n) {
        for (int m = 0; m < kMembers; ++m) write_send(*members_[m], "f" + std::to_string(m) + "_" + std::to_string(n));
    }
    for (int m = 0; m < kMembers; ++m) {
        for (int n = 0; n < kFloodPerMember; ++n) {
            std::string id = "f" + std::to_string(m) + "_" + std::to_string(n);
            tally(id, members_[m]->answer(id));
        }
    }
    EXPECT_GT(refused["rate_limited"] + refused["unavailable"], 0) << "the flood never went past the bounds";
    EXPECT_GE(acknowledged.size(), static_cast<size_t>(kMembers * 4)) << "the flood stored next to nothing";

    // The normal rate right after: every send acknowledged, the first within 1 s of the flood's last answer.
    const auto flood_answered = Clock::now();
    for (int n = 0; n < kNormalPerMember; ++n) {
        for (int m = 0; m < kMembers; ++m) write_send(*members_[m], "n" + std::to_string(m) + "_" + std::to_string(n));
        for (int m = 0; m < kMembers; ++m) {
            std::string id = "n" + std::to_string(m) + "_" + std::to_string(n);
            json answer = members_[m]->answer(id);
            EXPECT_EQ(answer["type"], "ok") << "normal send " << id << " was not served: " << answer.dump();
            if (n == 0 && m == 0) {
                EXPECT_LT(Clock::now() - flood_answered, 1s);
            }
            tally(id, answer);
        }
    }

    // Every member gets exactly the acknowledged sends, each once, in sequence order; nothing refused.
    const std::vector<uint64_t> expected(acknowledged.begin(), acknowledged.end());
    for (int m = 0; m < kMembers; ++m) {
        std::vector<uint64_t> delivered;
        for (const json& post : members_[m]->posts_after_quiet()) {
            delivered.push_back(post["sequence"]);
            EXPECT_EQ(acknowledged_ids.count(post["body"]), 1u) << "a refused send was delivered: " << post.dump();
        }
        EXPECT_EQ(delivered, expected) << "member " << m;
        EXPECT_EQ(members_[m]->resubscribes(), 0) << "member " << m;
    }
}

}  // namespace
}  // namespace lanchat

// The kill -9 campaign: people send, edit, delete and log in through the client edge while the whole node
// is killed with SIGKILL at a random moment, then restarted, round after round. After each kill every SQLite
// file passes PRAGMA integrity_check; after each restart the audit chain verifies, every write a person was
// told was stored (in any round so far) is in its channel's log exactly once and in its place, the refresh
// token of the last acknowledged login still works, and each person's deliveries, resumed from the last
// sequence they had, have no hole and no repeat. LANCHAT_KILL_ROUNDS sets the rounds (default 5, what CI
// runs; bench/kill-campaign.sh runs 100); the campaign prints rounds, writes checked and losses.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>

#include <cstdlib>
#include <deque>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <thread>

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

// A write the node answered ok: what its entry in the log must be.
struct Acknowledged {
    std::string event;  // "posted", "edited" or "deleted"
    uint64_t sequence = 0;
    std::string client_message_id;  // posted only
    std::string body;               // posted and edited
    uint64_t target = 0;            // edited and deleted
};

// One person of the campaign and what they know across rounds.
class Person {
public:
    Person(std::string name, unsigned seed) : name_(std::move(name)), random_(seed) {}

    const std::string& name() const { return name_; }
    const std::vector<Acknowledged>& acknowledged() const { return acknowledged_; }
    uint64_t missing() const { return missing_; }
    uint64_t doubled() const { return doubled_; }
    uint64_t lost_logins() const { return lost_logins_; }
    uint64_t refused() const { return refused_; }

    // Registers and creates the channel `name`; returns its id.
    std::string create(const client::Endpoint& edge, const std::string& name) {
        return enter(edge, {{"type", "channels.create"}, {"name", name}},
                     [](const json& answer) { return answer["channel"]["id"].get<std::string>(); });
    }
    // Registers and joins `channel`.
    void join(const client::Endpoint& edge, const std::string& channel) {
        enter(edge, {{"type", "channels.join"}, {"channel_id", channel}}, [&](const json&) { return channel; });
    }

    // One session until the node dies: log in, resume deliveries, then send, edit and delete.
    void converse(const client::Endpoint& edge) {
        auto client = EdgeClient::connect(edge);
        if (client == nullptr) return;  // killed before the edge was up
        if (!log_in(*client)) return;
        json subscribed = client->request({{"type", "subscribe"}, {"resume", {{channel_, last_delivered_}}}});
        while (subscribed["type"] == "ok" && !client->ended()) {
            act(*client);
            take(client->take_pushed());
        }
        take(client->take_pushed());
    }

    // After the last round: reads deliveries until they reach `last_sequence`, so none can still be missing.
    bool catch_up(const client::Endpoint& edge, uint64_t last_sequence) {
        auto client = EdgeClient::connect(edge);
        if (client == nullptr || !log_in(*client)) return false;
        if (client->request({{"type", "subscribe"}, {"resume", {{channel_, last_delivered_}}}})["type"] != "ok") {
            return false;
        }
        while (last_delivered_ < last_sequence) {
            json frame = client->next_pushed(5s);
            if (frame["type"] == "(ended)") return false;
            take({frame});
        }
        return true;
    }

private:
    std::string password() const { return name_ + " password"; }

    // Registers, becomes a member by `membership` and remembers where the log stood: deliveries start there.
    template <class ChannelOf>
    std::string enter(const client::Endpoint& edge, const json& membership, ChannelOf channel_of) {
        auto client = EdgeClient::connect(edge);
        if (client == nullptr) throw std::runtime_error(name_ + " cannot connect to the edge");
        keep_login(client->request({{"type", "register"}, {"username", name_}, {"password", password()}}));
        json joined = client->request(membership);
        if (joined["type"] != "ok") throw std::runtime_error(name_ + " could not enter: " + joined.dump());
        channel_ = channel_of(joined);
        json page = client->request({{"type", "history"}, {"channel_id", channel_}, {"before", 0}, {"limit", 1}});
        last_delivered_ = page["last_sequence"];
        return channel_;
    }

    // A refresh token from an acknowledged login, not used since, must still work after any kill.
    bool log_in(EdgeClient& client) {
        if (!refresh_token_.empty()) {
            json refreshed = client.request({{"type", "auth"}, {"refresh_token", std::exchange(refresh_token_, "")}});
            if (refreshed["type"] == "(ended)") return false;  // whether it was used is unknown now
            if (keep_login(refreshed)) return true;
            ++lost_logins_;
            ADD_FAILURE() << name_ << "'s acknowledged refresh token was refused: " << refreshed.dump();
        }
        return keep_login(client.request({{"type", "auth"}, {"username", name_}, {"password", password()}}));
    }
    bool keep_login(const json& answer) {
        if (answer["type"] != "ok") return false;
        refresh_token_ = answer["refresh_token"];
        return true;
    }

    // Mostly sends; now and then an edit of the newest own message or a deletion of one of them.
    void act(EdgeClient& client) {
        const unsigned dice = random_() % 10;
        if (dice < 7 || own_posts_.empty()) return post(client);
        if (dice < 9) return amend(client, "edited", own_posts_.back());
        std::uniform_int_distribution<size_t> any(0, own_posts_.size() - 1);
        const size_t chosen = any(random_);
        const uint64_t target = own_posts_[chosen];
        own_posts_.erase(own_posts_.begin() + static_cast<std::ptrdiff_t>(chosen));
        amend(client, "deleted", target);
    }

    void post(EdgeClient& client) {
        const std::string id = name_ + "-" + std::to_string(next_message_++);
        const std::string body = "body of " + id;
        json answer =
            client.request({{"type", "send"}, {"channel_id", channel_}, {"body", body}, {"client_message_id", id}});
        if (answer["type"] == "(ended)") return;
        if (answer["type"] != "ok" || answer["duplicate"] == true) return refuse(answer);
        acknowledged_.push_back({"posted", answer["sequence"], id, body, 0});
        own_posts_.push_back(answer["sequence"]);
    }

    void amend(EdgeClient& client, const std::string& event, uint64_t target) {
        json frame = {{"type", event == "edited" ? "edit" : "delete"}, {"channel_id", channel_}, {"sequence", target}};
        const std::string body = "edit " + std::to_string(next_message_++) + " of " + std::to_string(target);
        if (event == "edited") frame["body"] = body;
        json answer = client.request(frame);
        if (answer["type"] == "(ended)") return;
        // A deletion the node stored but whose answer the kill took leaves a message that refuses edits.
        if (answer["type"] != "ok" && answer["code"] == "conflict") {
            std::erase(own_posts_, target);
            return;
        }
        if (answer["type"] != "ok") return refuse(answer);
        acknowledged_.push_back({event, answer["sequence"], "", event == "edited" ? body : "", target});
    }

    void refuse(const json& answer) {
        ++refused_;
        ADD_FAILURE() << name_ << " was refused: " << answer.dump();
    }

    void take(const std::deque<json>& frames) {
        for (const json& frame : frames) {
            if (frame["type"] != "message" || frame["channel_id"] != channel_) continue;
            const uint64_t sequence = frame["sequence"];
            if (sequence <= last_delivered_) {
                ++doubled_;
                ADD_FAILURE() << name_ << " got " << sequence << " again (had up to " << last_delivered_ << ")";
            } else if (sequence != last_delivered_ + 1) {
                missing_ += sequence - last_delivered_ - 1;
                ADD_FAILURE() << name_ << " got " << sequence << " after " << last_delivered_;
            }
            last_delivered_ = std::max(last_delivered_, sequence);
        }
    }

    std::string name_;
    std::mt19937 random_;
    std::string channel_;
    std::string refresh_token_;
    uint64_t last_delivered_ = 0;  // the resume point
    uint64_t next_message_ = 0;
    std::vector<uint64_t> own_posts_;  // acknowledged, not deleted by an acknowledged deletion
    std::vector<Acknowledged> acknowledged_;
    uint64_t missing_ = 0, doubled_ = 0, lost_logins_ = 0, refused_ = 0;
};

int rounds_asked() {
    const char* rounds = std::getenv("LANCHAT_KILL_ROUNDS");
    return rounds != nullptr ? std::atoi(rounds) : 5;
}

// "ok", or what PRAGMA integrity_check found wrong in `file`.
std::string integrity_of(const fs::path& file) {
    sqlite3* db = nullptr;
    std::string verdict = "cannot open";
    if (sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK) {
        verdict.clear();
        sqlite3_exec(
            db, "PRAGMA integrity_check",
            [](void* out, int, char** values, char**) {
                *static_cast<std::string*>(out) += values[0] != nullptr ? values[0] : "(null)";
                return 0;
            },
            &verdict, nullptr);
    }
    sqlite3_close(db);
    return verdict;
}

class KillCampaignTest : public ::testing::Test {
protected:
    void SetUp() override {
        make_service_pki(kLanchatctl, pki_, kChatServices, "gateway", {"admin"});
        // People here type as fast as the node answers: the per-connection rate limit is not under test.
        dir_.write("n.toml", chat_node_file(pki_, kPluginDir, "rate_per_second = 10000\nburst = 10000"));
    }

    void TearDown() override {
        if (HasFailure() && node_.process != nullptr) std::cerr << "--- node output ---\n" << node_.process->output();
    }

    void start() {
        node_ = start_node(kLanchatd, dir_.path() / "n.toml");
        edge_ = edge_endpoint(node_.clients, pki_ / "ca.crt");
    }

    void kill_at_random(std::mt19937& random) {
        std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(200, 1200)(random)));
        node_.process->send_signal(SIGKILL);
        node_.process->wait_exit();
    }

    void expect_every_store_whole() {
        for (const auto& entry : fs::recursive_directory_iterator(dir_.path() / "data")) {
            if (entry.path().extension() != ".sqlite") continue;
            EXPECT_EQ(integrity_of(entry.path()), "ok") << entry.path();
        }
    }

    void expect_audit_chain_verifies() {
        auto verified = run_to_exit(
            {kLanchatctl, "audit", "verify", "--grpc", node_.grpc, "--pki", pki_.string(), "--operator", "admin"});
        EXPECT_EQ(verified.exit_code, 0) << verified.output;
    }

    // The whole log, oldest first, read by `reader` through history.
    std::vector<json> log_of(const Person& reader, const std::string& channel) {
        auto client = EdgeClient::connect(edge_);
        if (client == nullptr) throw std::runtime_error("the restarted node's edge does not answer");
        client->request({{"type", "auth"}, {"username", reader.name()}, {"password", reader.name() + " password"}});
        std::vector<json> log;
        for (;;) {
            const uint64_t after = log.empty() ? 0 : log.back()["sequence"].get<uint64_t>();
            json page =
                client->request({{"type", "history"}, {"channel_id", channel}, {"after", after}, {"limit", 500}});
            if (page["type"] != "ok") throw std::runtime_error("history failed: " + page.dump());
            for (json& entry : page["messages"]) log.push_back(std::move(entry));
            if (!page["more"].get<bool>()) return log;
        }
    }

    // Every acknowledged write is at its sequence, as it was acknowledged; returns how many are not.
    static uint64_t losses_in(const std::vector<json>& log, const std::vector<Person>& people) {
        std::map<std::string, int> posted;  // client_message_id -> times in the log
        std::set<uint64_t> deleted;
        for (size_t i = 0; i < log.size(); ++i) {
            EXPECT_EQ(log[i]["sequence"], i + 1) << "the log has a hole";
            if (log[i]["event"] == "posted") ++posted[log[i]["client_message_id"]];
            if (log[i]["event"] == "deleted") {
                EXPECT_TRUE(deleted.insert(log[i]["target_sequence"].get<uint64_t>()).second);
            }
        }
        for (const auto& [id, times] : posted) EXPECT_EQ(times, 1) << id << " is in the log " << times << " times";
        uint64_t losses = 0;
        for (const Person& person : people) {
            for (const Acknowledged& write : person.acknowledged()) {
                const bool erased = deleted.count(write.event == "posted" ? write.sequence : write.target) != 0;
                const json* entry = write.sequence <= log.size() ? &log[write.sequence - 1] : nullptr;
                const bool kept = entry != nullptr && (*entry)["event"] == write.event &&
                                  (*entry)["body"] == (erased ? "" : write.body) &&
                                  (*entry)["target_sequence"] == write.target &&
                                  (write.event != "posted" || (*entry)["client_message_id"] == write.client_message_id);
                if (kept) continue;
                ++losses;
                ADD_FAILURE() << "acknowledged " << write.event << " " << write.sequence << " is "
                              << (entry != nullptr ? entry->dump() : "missing");
            }
        }
        return losses;
    }

    TempDir dir_;
    fs::path pki_ = dir_.path() / "pki";
    StartedNode node_;
    client::Endpoint edge_;
};

TEST_F(KillCampaignTest, EveryAcknowledgedWriteSurvivesEveryKillDashNineAndResumingMissesNothing) {
    const int rounds = rounds_asked();
    std::mt19937 random{std::random_device{}()};
    std::vector<Person> people;
    for (const char* name : {"ana", "ben", "cyd"}) people.emplace_back(name, random());
    start();
    const std::string channel = people[0].create(edge_, "campaign");
    for (size_t i = 1; i < people.size(); ++i) people[i].join(edge_, channel);
    uint64_t checks = 0, losses = 0, last_sequence = 0;
    for (int round = 1; round <= rounds; ++round) {
        std::vector<std::thread> sessions;
        for (Person& person : people) sessions.emplace_back([&] { person.converse(edge_); });
        kill_at_random(random);
        for (std::thread& session : sessions) session.join();
        expect_every_store_whole();
        start();
        expect_audit_chain_verifies();
        const std::vector<json> log = log_of(people[0], channel);
        last_sequence = log.size();
        for (const Person& person : people) checks += person.acknowledged().size();
        losses += losses_in(log, people);
    }
    for (Person& person : people) EXPECT_TRUE(person.catch_up(edge_, last_sequence)) << person.name();
    uint64_t acknowledged = 0, missing = 0, doubled = 0, lost_logins = 0, refused = 0;
    for (const Person& person : people) {
        acknowledged += person.acknowledged().size();
        missing += person.missing();
        doubled += person.doubled();
        lost_logins += person.lost_logins();
        refused += person.refused();
    }
    std::cout << "kill -9 campaign: " << rounds << " rounds, " << acknowledged << " acknowledged writes (" << checks
              << " checks, each write after every later kill), " << losses << " losses; deliveries resumed: " << missing
              << " missing, " << doubled << " doubled; acknowledged logins lost: " << lost_logins
              << "; refusals: " << refused << "\n";
    EXPECT_EQ(losses, 0u);
    EXPECT_EQ(missing + doubled + lost_logins + refused, 0u);
}

}  // namespace
}  // namespace lanchat

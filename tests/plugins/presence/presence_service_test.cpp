#include "presence_service.hpp"

#include <gtest/gtest.h>

namespace lanchat::presence {
namespace {

class RecordingSink final : public WatchSink {
public:
    bool deliver(const v1::PresenceInfo& info) override {
        seen.push_back(info);
        return true;
    }
    void end(const sdk::Status& status) override { ended = status; }
    std::vector<v1::PresenceInfo> seen;
    std::optional<sdk::Status> ended;
};

class PresenceServiceTest : public ::testing::Test {
protected:
    PresenceService service_{1000, [this] { return now_; },
                             [this](const v1::PresenceInfo& info) { audited_.push_back(info); }};
    int64_t now_ = 10'000;
    std::vector<v1::PresenceInfo> audited_;

    v1::PresenceInfo beat(const std::string& user, const std::string& device, const std::string& edge = "edge-1") {
        v1::HeartbeatRequest request;
        request.set_user_id(user);
        request.set_device_id(device);
        request.set_edge_id(edge);
        return value_or_throw(service_.heartbeat(request));
    }
    v1::PresenceInfo of(const std::string& user) {
        v1::GetRequest request;
        request.add_user_ids(user);
        return value_or_throw(service_.get(request)).users(0);
    }
};

TEST_F(PresenceServiceTest, AUserIsOnlineWhileAnyDeviceIsAndOfflineAfterTheTtl) {
    EXPECT_EQ(of("alice").status(), v1::OFFLINE);
    beat("alice", "laptop", "edge-1");
    now_ += 600;
    beat("alice", "phone", "edge-2");
    auto online = of("alice");
    EXPECT_EQ(online.status(), v1::ONLINE);
    EXPECT_EQ(online.devices(), 2u);
    EXPECT_EQ(online.edges_size(), 2);
    now_ += 500;  // the laptop's TTL passed, the phone's not
    service_.expire();
    EXPECT_EQ(of("alice").devices(), 1u);
    EXPECT_EQ(of("alice").status(), v1::ONLINE);
    now_ += 600;
    service_.expire();
    EXPECT_EQ(of("alice").status(), v1::OFFLINE);
    ASSERT_EQ(audited_.size(), 2u);  // online, then offline: device counts are not audited
    EXPECT_EQ(audited_[0].status(), v1::ONLINE);
    EXPECT_EQ(audited_[1].status(), v1::OFFLINE);
}

TEST_F(PresenceServiceTest, AChosenStatusShowsOnlyWhileOnline) {
    v1::SetStatusRequest away;
    away.set_user_id("bob");
    away.set_status(v1::AWAY);
    away.set_status_text("lunch");
    EXPECT_EQ(value_or_throw(service_.set_status(away)).status(), v1::OFFLINE);
    beat("bob", "laptop");
    EXPECT_EQ(of("bob").status(), v1::AWAY);
    EXPECT_EQ(of("bob").status_text(), "lunch");
    v1::DisconnectRequest bye;
    bye.set_user_id("bob");
    bye.set_device_id("laptop");
    EXPECT_EQ(value_or_throw(service_.disconnect(bye)).status(), v1::OFFLINE);
    away.set_status(v1::OFFLINE);
    EXPECT_EQ(service_.set_status(away).status().code(), sdk::Code::invalid_argument);
    away.set_status(v1::DO_NOT_DISTURB);
    away.set_status_text(std::string(129, 'x'));
    EXPECT_EQ(service_.set_status(away).status().code(), sdk::Code::invalid_argument);
}

TEST_F(PresenceServiceTest, WatchersGetTheCurrentStateThenEveryChange) {
    beat("alice", "laptop");
    auto sink = std::make_shared<RecordingSink>();
    v1::WatchRequest watch;
    watch.add_user_ids("alice");
    watch.add_user_ids("carol");
    ASSERT_TRUE(service_.watch(watch, sink).ok());
    ASSERT_EQ(sink->seen.size(), 2u);
    beat("carol", "phone");
    beat("carol", "phone");  // nothing visible changed: nothing sent
    now_ += 2000;
    service_.expire();
    ASSERT_EQ(sink->seen.size(), 5u);
    EXPECT_EQ(sink->seen[2].user_id(), "carol");
    EXPECT_EQ(sink->seen[2].status(), v1::ONLINE);
    EXPECT_EQ(sink->seen[3].status(), v1::OFFLINE);
    EXPECT_EQ(sink->seen[4].status(), v1::OFFLINE);
    v1::WatchRequest none;
    EXPECT_EQ(service_.watch(none, sink).status().code(), sdk::Code::invalid_argument);
}

// A watcher that fails on its second snapshot is refused and leaves nothing behind: later changes of the
// first user still reach the other watchers.
TEST_F(PresenceServiceTest, ARefusedWatchLeavesNothingBehind) {
    class FailsSecond final : public WatchSink {
    public:
        bool deliver(const v1::PresenceInfo&) override { return ++count < 2; }
        void end(const sdk::Status&) override {}
        int count = 0;
    };
    v1::WatchRequest watch;
    watch.add_user_ids("alice");
    watch.add_user_ids("bob");
    EXPECT_EQ(service_.watch(watch, std::make_shared<FailsSecond>()).status().code(), sdk::Code::resource_exhausted);
    auto healthy = std::make_shared<RecordingSink>();
    ASSERT_TRUE(service_.watch(watch, healthy).ok());
    beat("alice", "laptop");
    ASSERT_EQ(healthy->seen.size(), 3u);
    EXPECT_EQ(healthy->seen.back().status(), v1::ONLINE);
}

TEST_F(PresenceServiceTest, StateCarriesOverToTheNextInstance) {
    beat("alice", "laptop", "edge-9");
    PresenceService next(
        1000, [this] { return now_; }, [](const v1::PresenceInfo&) {});
    ASSERT_TRUE(next.import_state(service_.export_state()).ok());
    v1::GetRequest request;
    request.add_user_ids("alice");
    auto alice = value_or_throw(next.get(request)).users(0);
    EXPECT_EQ(alice.status(), v1::ONLINE);
    EXPECT_EQ(alice.edges(0), "edge-9");
    EXPECT_EQ(next.import_state("garbage that is not protobuf \xff").code(), sdk::Code::invalid_argument);
}

}  // namespace
}  // namespace lanchat::presence

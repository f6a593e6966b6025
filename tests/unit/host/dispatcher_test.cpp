#include "client_edge/dispatcher.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "abi/slice.hpp"
#include "abi/tables.hpp"
#include "logging/log.hpp"
#include "runtime/host_context.hpp"

namespace lanchat::host::edge {
namespace {

std::string text_of(lanchat_str text) { return std::string(abi::view(text)); }
std::string text_of(lanchat_bytes bytes) { return std::string(abi::view(bytes)); }

// One plugin instance's handler: every callback it received, as a line.
struct Handler {
    std::vector<std::string> heard;
    lanchat_client_edge_handler table{};

    Handler() {
        table.struct_size = sizeof table;
        table.user = this;
        table.opened = [](void* user, const lanchat_connection_info* info) {
            static_cast<Handler*>(user)->heard.push_back((info->adopted ? "adopted " : "opened ") +
                                                         std::to_string(info->id) +
                                                         " session=" + text_of(info->session));
        };
        table.message = [](void* user, const lanchat_connection_info* info, lanchat_str text) {
            static_cast<Handler*>(user)->heard.push_back("message " + std::to_string(info->id) + " " + text_of(text) +
                                                         " session=" + text_of(info->session));
        };
        table.closed = [](void* user, lanchat_connection_id id, uint16_t code, lanchat_str) {
            static_cast<Handler*>(user)->heard.push_back("closed " + std::to_string(id) + " " + std::to_string(code));
        };
    }
};

// The listener's side of one connection: what the dispatcher sent on it and how it closed it.
class RecordingPort : public ConnectionPort {
public:
    lanchat_status_code send(Payload text) override {
        if (refuse) return LANCHAT_RESOURCE_EXHAUSTED;
        sent.push_back(*text);
        payloads.push_back(std::move(text));
        return LANCHAT_OK;
    }
    void close(uint16_t code, std::string reason) override {
        close_code = code;
        close_reason = std::move(reason);
    }

    bool refuse = false;  // as a connection whose send queue is over its limit
    std::vector<std::string> sent;
    std::vector<Payload> payloads;
    uint16_t close_code = 0;
    std::string close_reason;
};

class DispatcherTest : public ::testing::Test {
protected:
    lanchat_connection_id open(const std::shared_ptr<RecordingPort>& port) {
        return dispatcher_.opened(port, {"10.0.0.7:50000", "fingerprint", "/ws"});
    }

    NodeLog log_{LogFormat::text, LANCHAT_LOG_ERROR};
    Dispatcher dispatcher_{log_};
    lanchat_host_context gateway_;    // the running instance
    lanchat_host_context successor_;  // the same plugin, reloading
    Handler gateway_handler_;
    Handler successor_handler_;
    std::shared_ptr<RecordingPort> first_ = std::make_shared<RecordingPort>();
    std::shared_ptr<RecordingPort> second_ = std::make_shared<RecordingPort>();
};

TEST_F(DispatcherTest, WithoutAHandlerConnectionsAreRefused) {
    EXPECT_FALSE(dispatcher_.has_handler());
    EXPECT_EQ(open(first_), 0u);
    EXPECT_EQ(dispatcher_.connection_count(), 0u);
}

TEST_F(DispatcherTest, TheAttachedHandlerHearsEachConnectionInOrder) {
    ASSERT_TRUE(dispatcher_.attach(&gateway_, "gateway", gateway_handler_.table).ok());
    lanchat_connection_id id = open(first_);
    ASSERT_NE(id, 0u);
    dispatcher_.message(id, "hi");
    dispatcher_.closed(id, 1000, "bye");
    EXPECT_EQ(gateway_handler_.heard,
              (std::vector<std::string>{"opened 1 session=", "message 1 hi session=", "closed 1 1000"}));
    EXPECT_EQ(dispatcher_.connection_count(), 0u);
    EXPECT_EQ(dispatcher_.send(id, "late"), LANCHAT_NOT_FOUND);
}

TEST_F(DispatcherTest, AHandlerWithoutItsCallbacksIsRefused) {
    gateway_handler_.table.message = nullptr;
    EXPECT_EQ(dispatcher_.attach(&gateway_, "gateway", gateway_handler_.table).code(), sdk::Code::invalid_argument);
    EXPECT_FALSE(dispatcher_.has_handler());
}

TEST_F(DispatcherTest, AnotherPluginCannotTakeTheClientEdge) {
    ASSERT_TRUE(dispatcher_.attach(&gateway_, "gateway", gateway_handler_.table).ok());
    sdk::Status taken = dispatcher_.attach(&successor_, "impostor", successor_handler_.table);
    EXPECT_EQ(taken.code(), sdk::Code::failed_precondition);
    EXPECT_NE(taken.message().find("held by plugin 'gateway'"), std::string::npos);
}

TEST_F(DispatcherTest, AnInstanceAttachesOnlyOnce) {
    ASSERT_TRUE(dispatcher_.attach(&gateway_, "gateway", gateway_handler_.table).ok());
    EXPECT_EQ(dispatcher_.attach(&gateway_, "gateway", gateway_handler_.table).code(), sdk::Code::failed_precondition);
}

TEST_F(DispatcherTest, SendAndCloseReachTheConnectionsPort) {
    ASSERT_TRUE(dispatcher_.attach(&gateway_, "gateway", gateway_handler_.table).ok());
    lanchat_connection_id id = open(first_);
    EXPECT_EQ(dispatcher_.send(id, "welcome"), LANCHAT_OK);
    dispatcher_.close(id, 4000, "done");
    EXPECT_EQ(first_->sent, (std::vector<std::string>{"welcome"}));
    EXPECT_EQ(first_->close_code, 4000);
    EXPECT_EQ(first_->close_reason, "done");
}

TEST_F(DispatcherTest, SendManyQueuesOneSharedCopyOnEveryConnection) {
    ASSERT_TRUE(dispatcher_.attach(&gateway_, "gateway", gateway_handler_.table).ok());
    std::vector<lanchat_connection_id> ids{open(first_), open(second_)};
    std::vector<lanchat_status_code> results(ids.size(), LANCHAT_UNKNOWN);
    EXPECT_EQ(dispatcher_.send_many(ids, "delivery", results), LANCHAT_OK);
    EXPECT_EQ(results, (std::vector<lanchat_status_code>{LANCHAT_OK, LANCHAT_OK}));
    ASSERT_EQ(first_->payloads.size(), 1u);
    ASSERT_EQ(second_->payloads.size(), 1u);
    EXPECT_EQ(*first_->payloads[0], "delivery");
    EXPECT_EQ(first_->payloads[0].get(), second_->payloads[0].get());
}

TEST_F(DispatcherTest, SendManyReportsEachConnectionsOutcomeAndReturnsTheFirstFailure) {
    ASSERT_TRUE(dispatcher_.attach(&gateway_, "gateway", gateway_handler_.table).ok());
    lanchat_connection_id reading = open(first_);
    lanchat_connection_id stalled = open(second_);
    second_->refuse = true;
    std::vector<lanchat_connection_id> ids{reading, 999, stalled};
    std::vector<lanchat_status_code> results(ids.size(), LANCHAT_UNKNOWN);
    EXPECT_EQ(dispatcher_.send_many(ids, "delivery", results), LANCHAT_NOT_FOUND);
    EXPECT_EQ(results, (std::vector<lanchat_status_code>{LANCHAT_OK, LANCHAT_NOT_FOUND, LANCHAT_RESOURCE_EXHAUSTED}));
    EXPECT_EQ(first_->sent, (std::vector<std::string>{"delivery"}));
}

TEST_F(DispatcherTest, SendManyThroughTheAbiTableReachesEveryConnection) {
    ASSERT_TRUE(dispatcher_.attach(&gateway_, "gateway", gateway_handler_.table).ok());
    gateway_.client_edge = &dispatcher_;
    const lanchat_client_edge_api* api = abi::client_edge_api_table();
    ASSERT_TRUE(LANCHAT_HAS_FIELD(api, lanchat_client_edge_api, send_many));
    lanchat_connection_id ids[] = {open(first_), open(second_)};
    EXPECT_EQ(api->send_many(&gateway_, ids, 2, abi::to_str("hello"), nullptr), LANCHAT_OK);
    EXPECT_EQ(second_->sent, (std::vector<std::string>{"hello"}));
    EXPECT_EQ(api->send_many(&gateway_, nullptr, 1, abi::to_str("hello"), nullptr), LANCHAT_INVALID_ARGUMENT);
    EXPECT_EQ(api->send_many(&gateway_, nullptr, 0, abi::to_str("hello"), nullptr), LANCHAT_OK);
}

TEST_F(DispatcherTest, AStagedSuccessorHearsNothingBeforeTheSwitch) {
    ASSERT_TRUE(dispatcher_.attach(&gateway_, "gateway", gateway_handler_.table).ok());
    lanchat_connection_id id = open(first_);
    ASSERT_TRUE(dispatcher_.attach(&successor_, "gateway", successor_handler_.table).ok());
    dispatcher_.message(id, "still old");
    EXPECT_TRUE(successor_handler_.heard.empty());
    EXPECT_EQ(gateway_handler_.heard.back(), "message 1 still old session=");
}

TEST_F(DispatcherTest, TheSwitchHandsEveryOpenConnectionToTheSuccessorWithItsSession) {
    ASSERT_TRUE(dispatcher_.attach(&gateway_, "gateway", gateway_handler_.table).ok());
    lanchat_connection_id alice = open(first_);
    lanchat_connection_id bob = open(second_);
    ASSERT_EQ(dispatcher_.set_session(alice, "alice-token"), LANCHAT_OK);
    ASSERT_TRUE(dispatcher_.attach(&successor_, "gateway", successor_handler_.table).ok());
    dispatcher_.promote(&successor_);
    dispatcher_.detach(&gateway_);  // the old instance stops after the switch: nothing is closed
    dispatcher_.message(alice, "hello");
    EXPECT_EQ(successor_handler_.heard, (std::vector<std::string>{"adopted 1 session=alice-token", "adopted 2 session=",
                                                                  "message 1 hello session=alice-token"}));
    EXPECT_EQ(gateway_handler_.heard.size(), 2u);  // its two openings only
    EXPECT_EQ(first_->close_code, 0);
    EXPECT_EQ(dispatcher_.connection_count(), 2u);
    EXPECT_NE(bob, alice);
}

TEST_F(DispatcherTest, AFailedReloadLeavesTheRunningInstanceServing) {
    ASSERT_TRUE(dispatcher_.attach(&gateway_, "gateway", gateway_handler_.table).ok());
    lanchat_connection_id id = open(first_);
    ASSERT_TRUE(dispatcher_.attach(&successor_, "gateway", successor_handler_.table).ok());
    dispatcher_.detach(&successor_);   // what an abandoned reload does
    dispatcher_.promote(&successor_);  // no longer staged: no effect
    dispatcher_.message(id, "ping");
    EXPECT_TRUE(successor_handler_.heard.empty());
    EXPECT_EQ(gateway_handler_.heard.back(), "message 1 ping session=");
    EXPECT_EQ(first_->close_code, 0);
}

TEST_F(DispatcherTest, TheHandlerStoppingWithoutASuccessorClosesEveryConnectionGoingAway) {
    ASSERT_TRUE(dispatcher_.attach(&gateway_, "gateway", gateway_handler_.table).ok());
    open(first_);
    open(second_);
    dispatcher_.detach(&gateway_);
    EXPECT_FALSE(dispatcher_.has_handler());
    for (const auto& port : {first_, second_}) {
        EXPECT_EQ(port->close_code, kCloseGoingAway);
        EXPECT_EQ(port->close_reason, "the gateway stopped");
    }
}

TEST_F(DispatcherTest, HttpWithoutAGatewayAnswers503AndWithoutAnHttpHandler404) {
    abi::HttpRequest request{"GET", "/", "127.0.0.1:5000", ""};
    abi::HttpAnswer answer = dispatcher_.http(request);
    EXPECT_EQ(answer.status, 503);
    EXPECT_NE(answer.body.find("no gateway plugin is running"), std::string::npos);

    ASSERT_TRUE(dispatcher_.attach(&gateway_, "gateway", gateway_handler_.table).ok());
    EXPECT_EQ(dispatcher_.http(request).status, 404);
}

}  // namespace
}  // namespace lanchat::host::edge

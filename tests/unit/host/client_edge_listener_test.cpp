// The client edge's listener in process, with a real TLS WebSocket client on loopback: how frames leave it.
#include "client_edge/listener.hpp"

#include <gtest/gtest.h>

#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "abi/slice.hpp"
#include "client_edge/dispatcher.hpp"
#include "lanchat/pki/certificate_authority.hpp"
#include "logging/log.hpp"
#include "metrics/registry.hpp"
#include "runtime/host_context.hpp"
#include "temp_dir.hpp"
#include "websocket_client.hpp"

namespace lanchat::host::edge {
namespace {

using namespace std::chrono_literals;

constexpr int kBurst = 10;
constexpr size_t kFlood = 4 * 1024 * 1024;  // far more than a shrunk socket buffer takes at once

// A handler that answers "burst" with kBurst messages sent from inside the callback, on the connection's
// event loop: all of them are queued before that loop can write any.
struct BurstHandler {
    Dispatcher* dispatcher = nullptr;
    lanchat_client_edge_handler table{};
    std::mutex mutex;
    std::vector<lanchat_connection_id> opened;  // with mutex

    std::vector<lanchat_connection_id> opened_ids() {
        std::lock_guard lock(mutex);
        return opened;
    }

    BurstHandler() {
        table.struct_size = sizeof table;
        table.user = this;
        table.opened = [](void* user, const lanchat_connection_info* info) {
            auto* self = static_cast<BurstHandler*>(user);
            std::lock_guard lock(self->mutex);
            self->opened.push_back(info->id);
        };
        table.message = [](void* user, const lanchat_connection_info* info, lanchat_str text) {
            auto* self = static_cast<BurstHandler*>(user);
            if (abi::view(text) == "flood") self->dispatcher->send(info->id, std::string(kFlood, 'x'));
            if (abi::view(text) != "burst") return;
            for (int i = 1; i <= kBurst; ++i) self->dispatcher->send(info->id, "frame " + std::to_string(i));
        };
        table.closed = [](void*, lanchat_connection_id, uint16_t, lanchat_str) {};
    }
};

class ClientEdgeListenerTest : public ::testing::Test {
protected:
    void SetUp() override {
        pki::PkiLayout layout{dir_.path() / "pki"};
        ASSERT_TRUE(pki::init_ca(layout, {"lan-chat.local", pki::KeyAlgorithm::ecdsa_p256, 10}).ok());
        ASSERT_TRUE(pki::issue_node(layout, "n", {"gateway"}, {}).ok());
        ClientEdgeConfig config;
        config.listen = "127.0.0.1:0";
        config.certificate = layout.node_dir("n") / "node.crt";
        config.key = layout.node_dir("n") / "node.key";
        config.socket_send_buffer_bytes = 64 * 1024;
        config.write_timeout = 500ms;
        handler_.dispatcher = &dispatcher_;
        ASSERT_TRUE(dispatcher_.attach(&gateway_, "gateway", handler_.table).ok());
        auto started = Listener::start(config, layout.ca_certificate(), dispatcher_, metrics_, log_);
        ASSERT_TRUE(started.ok()) << started.status().message();
        listener_ = std::move(*started);
        endpoint_.ca = layout.ca_certificate();
        ASSERT_TRUE(client::parse_address(listener_->address(), endpoint_).ok());
    }

    double counted(const std::string& name, const metrics::LabelValues& labels, const std::vector<std::string>& names) {
        return metrics_.must(metrics::Kind::counter, name, "", names)->value(labels);
    }
    double writes() { return counted("lanchat_client_edge_writes_total", {}, {}); }
    double frames_out() { return counted("lanchat_client_edge_frames_total", {"out"}, {"direction"}); }

    testing::TempDir dir_;
    NodeLog log_{LogFormat::text, LANCHAT_LOG_ERROR};
    metrics::Registry metrics_;
    Dispatcher dispatcher_{log_};
    lanchat_host_context gateway_;
    BurstHandler handler_;
    std::unique_ptr<Listener> listener_;
    client::Endpoint endpoint_;
};

TEST_F(ClientEdgeListenerTest, FramesQueuedTogetherLeaveInOneTlsWriteAndArriveInOrder) {
    auto connected = client::WebSocketClient::connect(endpoint_, 5s);
    ASSERT_TRUE(connected.ok()) << connected.status().message();
    auto& client = **connected;
    double writes_before = writes();
    double frames_before = frames_out();
    ASSERT_TRUE(client.send("burst").ok());
    for (int i = 1; i <= kBurst; ++i) {
        auto received = client.receive(5s);
        ASSERT_TRUE(received.ok()) << received.status().message();
        EXPECT_EQ(*received, "frame " + std::to_string(i));
    }
    EXPECT_EQ(frames_out() - frames_before, kBurst);
    EXPECT_EQ(writes() - writes_before, 1);
}

TEST_F(ClientEdgeListenerTest, SendManyDeliversTheSameTextToEveryConnection) {
    auto first = client::WebSocketClient::connect(endpoint_, 5s);
    auto second = client::WebSocketClient::connect(endpoint_, 5s);
    ASSERT_TRUE(first.ok() && second.ok());
    for (int waited = 0; waited < 100 && handler_.opened_ids().size() < 2; ++waited) std::this_thread::sleep_for(10ms);
    std::vector<lanchat_connection_id> ids = handler_.opened_ids();
    ASSERT_EQ(ids.size(), 2u);
    std::vector<lanchat_status_code> results(2, LANCHAT_UNKNOWN);
    EXPECT_EQ(dispatcher_.send_many(ids, "to the room", results), LANCHAT_OK);
    for (auto* client : {first->get(), second->get()}) {
        auto received = client->receive(5s);
        ASSERT_TRUE(received.ok()) << received.status().message();
        EXPECT_EQ(*received, "to the room");
    }
}

TEST_F(ClientEdgeListenerTest, AClientsCloseIsAnsweredAndTheEndIsReportedWithItsCode) {
    auto connected = client::WebSocketClient::connect(endpoint_, 5s);
    ASSERT_TRUE(connected.ok()) << connected.status().message();
    (*connected)->close(4000);  // waits for the server's close frame
    for (int waited = 0; waited < 100 && counted("lanchat_client_edge_closed_total", {"4000"}, {"code"}) < 1;
         ++waited) {
        std::this_thread::sleep_for(10ms);
    }
    EXPECT_EQ(counted("lanchat_client_edge_closed_total", {"4000"}, {"code"}), 1);
}

// One message always fits an empty send queue, so the queue's limit never sees it: the write deadline does.
TEST_F(ClientEdgeListenerTest, AWriteTheClientDoesNotTakeInTimeEndsTheConnectionWith4008) {
    client::Endpoint small_window = endpoint_;
    small_window.receive_buffer_bytes = 4096;
    auto connected = client::WebSocketClient::connect(small_window, 5s);
    ASSERT_TRUE(connected.ok()) << connected.status().message();
    ASSERT_TRUE((*connected)->send("flood").ok());  // and never read
    for (int waited = 0; waited < 500 && counted("lanchat_client_edge_closed_total", {"4008"}, {"code"}) < 1;
         ++waited) {
        std::this_thread::sleep_for(10ms);
    }
    EXPECT_EQ(counted("lanchat_client_edge_closed_total", {"4008"}, {"code"}), 1);
}

}  // namespace
}  // namespace lanchat::host::edge

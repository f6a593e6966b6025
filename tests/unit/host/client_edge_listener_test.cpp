// The client edge's listener in process, with a real TLS WebSocket client on loopback: how frames leave it.
#include "client_edge/listener.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>

#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "abi/slice.hpp"
#include "client_edge/connection_slots.hpp"
#include "client_edge/dispatcher.hpp"
#include "lanchat/pki/certificate_authority.hpp"
#include "logging/log.hpp"
#include "metrics/registry.hpp"
#include "net/revocation.hpp"
#include "runtime/host_context.hpp"
#include "temp_dir.hpp"
#include "websocket_client.hpp"

namespace lanchat::host::edge {
namespace {

using namespace std::chrono_literals;

constexpr int kBurst = 10;
// Far more than a shrunk socket buffer takes at once, yet under the default send queue (1 MiB): only the write
// deadline can end a connection that does not read it.
constexpr size_t kFlood = 512 * 1024;
constexpr size_t kLargeFrame = 100 * 1024;

// A handler that answers "burst" with kBurst messages sent from inside the callback, on the connection's
// event loop: all of them are queued before that loop can write any.
struct BurstHandler {
    Dispatcher* dispatcher = nullptr;
    lanchat_client_edge_handler table{};
    std::mutex mutex;
    std::vector<lanchat_connection_id> opened;  // with mutex
    std::string greeting;                       // sent to each connection as it opens, when not empty

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
            if (!self->greeting.empty()) self->dispatcher->send(info->id, self->greeting);
        };
        table.message = [](void* user, const lanchat_connection_info* info, lanchat_str text) {
            auto* self = static_cast<BurstHandler*>(user);
            if (abi::view(text) == "flood") self->dispatcher->send(info->id, std::string(kFlood, 'x'));
            if (abi::view(text) == "one large frame") {
                self->dispatcher->send(info->id, std::string(kLargeFrame, 'x'));
                return;
            }
            if (abi::view(text) != "burst") return;
            for (int i = 1; i <= kBurst; ++i) self->dispatcher->send(info->id, "frame " + std::to_string(i));
        };
        table.closed = [](void*, lanchat_connection_id, uint16_t, lanchat_str) {};
    }
};

class ClientEdgeListenerTest : public ::testing::Test {
protected:
    void SetUp() override {
        ClientEdgeConfig config;
        start(config);
    }

    void start(ClientEdgeConfig config) {
        pki::PkiLayout layout{dir_.path() / "pki"};
        ASSERT_TRUE(pki::init_ca(layout, {"lan-chat.local", pki::KeyAlgorithm::ecdsa_p256, 10}).ok());
        ASSERT_TRUE(pki::issue_node(layout, "n", {"gateway"}, {}).ok());
        config.listen = "127.0.0.1:0";
        config.certificate = layout.node_dir("n") / "node.crt";
        config.key = layout.node_dir("n") / "node.key";
        config.socket_send_buffer_bytes = 64 * 1024;
        config.write_timeout = 500ms;
        handler_.dispatcher = &dispatcher_;
        ASSERT_TRUE(dispatcher_.attach(&gateway_, "gateway", handler_.table).ok());
        auto revocations = net::Revocations::load(layout.crl(), layout.ca_certificate(), log_);
        ASSERT_TRUE(revocations.ok()) << revocations.status().message();
        auto started = Listener::start(config, layout.ca_certificate(), *revocations, dispatcher_, metrics_, log_);
        ASSERT_TRUE(started.ok()) << started.status().message();
        listener_ = std::move(*started);
        endpoint_.ca = layout.ca_certificate();
        ASSERT_TRUE(client::parse_address(listener_->address(), endpoint_).ok());
    }

    double counted(const std::string& name, const metrics::LabelValues& labels, const std::vector<std::string>& names) {
        return metrics_.must(metrics::Kind::counter, name, "", names)->value(labels);
    }
    double writes() { return counted("lanchat_client_edge_writes_total", {}, {}); }
    double accepted(const std::string& outcome) {
        return counted("lanchat_client_edge_accepted_total", {outcome}, {"outcome"});
    }
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

// The upgrade by hand over TLS: one read returns one TLS record's plaintext, so what arrives with the 101 answer
// left in the same write.
TEST_F(ClientEdgeListenerTest, TheUpgradeAnswerLeavesInOneTlsWriteWithWhatTheHandlerSendsAtOpening) {
    namespace asio = boost::asio;
    handler_.greeting = "welcome";
    asio::io_context io;
    asio::ssl::context tls(asio::ssl::context::tls_client);
    tls.set_verify_mode(asio::ssl::verify_none);
    asio::ssl::stream<asio::ip::tcp::socket> stream(io, tls);
    stream.lowest_layer().connect(
        {asio::ip::make_address(endpoint_.host), static_cast<unsigned short>(std::stoi(endpoint_.port))});
    timeval read_timeout{5, 0};
    setsockopt(stream.lowest_layer().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &read_timeout, sizeof read_timeout);
    stream.handshake(asio::ssl::stream_base::client);
    asio::write(stream, asio::buffer(std::string("GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                                                 "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                                                 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")));
    std::array<char, 4096> received;
    const std::string first(received.data(), stream.read_some(asio::buffer(received)));
    EXPECT_EQ(first.rfind("HTTP/1.1 101 Switching Protocols\r\n", 0), 0u) << first;
    // RFC 6455's own example key and accept value, then the greeting as one unmasked text frame.
    EXPECT_NE(first.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"), std::string::npos) << first;
    EXPECT_NE(first.find("\r\n\r\n\x81\x07welcome"), std::string::npos) << first;
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

TEST_F(ClientEdgeListenerTest, AClientsCloseIsAnsweredAndTheEndIsCountedByItsDocumentedCodeOrAsOther) {
    auto closed = [&](const std::string& label) {
        return counted("lanchat_client_edge_closed_total", {label}, {"code"});
    };
    for (uint16_t code : {1000, 4000, 4999}) {
        auto connected = client::WebSocketClient::connect(endpoint_, 5s);
        ASSERT_TRUE(connected.ok()) << connected.status().message();
        (*connected)->close(code);  // waits for the server's close frame
    }
    for (int waited = 0; waited < 100 && (closed("1000") < 1 || closed("other") < 2); ++waited) {
        std::this_thread::sleep_for(10ms);
    }
    EXPECT_EQ(closed("1000"), 1);
    EXPECT_EQ(closed("other"), 2);  // a client's own codes share one series
    EXPECT_EQ(closed("4000"), 0);
}

// The same listener with limits of its own, started by each test.
class ClientEdgeLimitsTest : public ClientEdgeListenerTest {
protected:
    void SetUp() override {}
};

// A TCP connection from `source` (any 127.0.0.0/8 address reaches the listener on 127.0.0.1).
boost::asio::ip::tcp::socket connect_from(boost::asio::io_context& io, const std::string& source,
                                          const client::Endpoint& endpoint) {
    using boost::asio::ip::tcp;
    tcp::socket socket(io);
    socket.open(tcp::v4());
    socket.bind({boost::asio::ip::make_address(source), 0});
    socket.connect(
        {boost::asio::ip::make_address(endpoint.host), static_cast<unsigned short>(std::stoi(endpoint.port))});
    return socket;
}

TEST_F(ClientEdgeLimitsTest, BeyondItsPerAddressCapAHostsNewConnectionIsClosedWhileOtherHostsConnect) {
    ClientEdgeConfig config;
    config.max_connections_per_address = 2;
    start(config);
    auto first = client::WebSocketClient::connect(endpoint_, 5s);
    auto second = client::WebSocketClient::connect(endpoint_, 5s);
    ASSERT_TRUE(first.ok() && second.ok());
    auto third = client::WebSocketClient::connect(endpoint_, 5s);
    EXPECT_FALSE(third.ok());
    EXPECT_EQ(accepted("refused_address"), 1);

    boost::asio::io_context io;
    auto other_host = connect_from(io, "127.0.0.2", endpoint_);
    auto another_host = connect_from(io, "127.0.0.3", endpoint_);
    std::this_thread::sleep_for(100ms);
    EXPECT_EQ(accepted("refused_address"), 1);
    EXPECT_EQ(accepted("refused_full"), 0);

    (*first)->close();  // the slot is the address's again once the server saw the end
    std::unique_ptr<client::WebSocketClient> again;
    for (int attempt = 0; attempt < 50 && !again; ++attempt) {
        if (auto socket = client::WebSocketClient::connect(endpoint_, 5s); socket.ok()) {
            again = std::move(*socket);
        } else {
            std::this_thread::sleep_for(20ms);
        }
    }
    EXPECT_TRUE(again);
}

// A plain TLS client asking for a page on one kept-alive connection every 150 ms, until the server ends it.
std::chrono::milliseconds kept_alive_lifetime(const client::Endpoint& endpoint, std::chrono::milliseconds give_up) {
    namespace asio = boost::asio;
    asio::io_context io;
    asio::ssl::context tls(asio::ssl::context::tls_client);
    tls.set_verify_mode(asio::ssl::verify_none);
    asio::ssl::stream<asio::ip::tcp::socket> stream(io, tls);
    stream.lowest_layer().connect(
        {asio::ip::make_address(endpoint.host), static_cast<unsigned short>(std::stoi(endpoint.port))});
    timeval read_timeout{1, 0};
    setsockopt(stream.lowest_layer().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &read_timeout, sizeof read_timeout);
    stream.handshake(asio::ssl::stream_base::client);
    const auto started = std::chrono::steady_clock::now();
    const std::string request = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n";
    std::array<char, 4096> answer;
    boost::system::error_code error;
    while (std::chrono::steady_clock::now() - started < give_up) {
        asio::write(stream, asio::buffer(request), error);
        if (!error) stream.read_some(asio::buffer(answer), error);
        if (error) break;
        std::this_thread::sleep_for(150ms);
    }
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
}

TEST_F(ClientEdgeLimitsTest, RequestsOnAKeptAliveConnectionDoNotExtendTheDeadlineForTheUpgrade) {
    ClientEdgeConfig config;
    config.handshake_timeout = 600ms;
    start(config);
    auto lived = kept_alive_lifetime(endpoint_, 3s);
    EXPECT_LT(lived, 1500ms) << "a request every 150 ms kept the connection open for " << lived.count() << " ms";
}

TEST_F(ClientEdgeLimitsTest, AFrameLargerThanTheWholeSendQueueIsRefusedEvenWhenTheQueueIsEmpty) {
    ClientEdgeConfig config;
    config.send_queue_bytes = 64 * 1024;
    start(config);
    auto connected = client::WebSocketClient::connect(endpoint_, 5s);
    ASSERT_TRUE(connected.ok()) << connected.status().message();
    ASSERT_TRUE((*connected)->send("one large frame").ok());
    auto received = (*connected)->receive(5s);
    EXPECT_FALSE(received.ok()) << "a " << received->size() << "-byte frame went out";
    EXPECT_EQ((*connected)->close_code(), kCloseSlowReader);
}

TEST(ConnectionSlotsTest, ADescriptorInTheReserveIsRefusedAndSlotsReturnToTheirAddress) {
    ConnectionSlots slots(3, 2, 1000);
    auto one = boost::asio::ip::make_address("10.0.0.1");
    auto two = boost::asio::ip::make_address("10.0.0.2");
    EXPECT_EQ(slots.take(one, 1000 - kEdgeDescriptorReserve), ConnectionSlots::Outcome::descriptors_low);
    EXPECT_EQ(slots.take(one, 10), ConnectionSlots::Outcome::taken);
    EXPECT_EQ(slots.take(one, 11), ConnectionSlots::Outcome::taken);
    EXPECT_EQ(slots.take(one, 12), ConnectionSlots::Outcome::address_full);
    EXPECT_EQ(slots.take(two, 12), ConnectionSlots::Outcome::taken);
    EXPECT_EQ(slots.take(two, 13), ConnectionSlots::Outcome::full);
    slots.give_back(one);
    EXPECT_EQ(slots.in_use(), 2u);
    EXPECT_EQ(slots.take(one, 12), ConnectionSlots::Outcome::taken);
}

TEST(ConnectionSlotsTest, AnIpv6HostCountsByItsSlash64AndIpv4AsIpv6ByItsAddress) {
    ConnectionSlots slots(10, 2, 1000);
    auto v6 = [](const char* text) { return boost::asio::ip::make_address(text); };
    EXPECT_EQ(slots.take(v6("2001:db8:1:2::1"), 10), ConnectionSlots::Outcome::taken);
    EXPECT_EQ(slots.take(v6("2001:db8:1:2:ffff::9"), 11), ConnectionSlots::Outcome::taken);
    EXPECT_EQ(slots.take(v6("2001:db8:1:2::3"), 12), ConnectionSlots::Outcome::address_full);
    EXPECT_EQ(slots.take(v6("2001:db8:1:3::1"), 12), ConnectionSlots::Outcome::taken);  // another /64
    slots.give_back(v6("2001:db8:1:2::1"));
    EXPECT_EQ(slots.take(v6("2001:db8:1:2::3"), 13), ConnectionSlots::Outcome::taken);
    EXPECT_EQ(slots.take(v6("::ffff:10.0.0.1"), 14), ConnectionSlots::Outcome::taken);
    EXPECT_EQ(slots.take(v6("10.0.0.1"), 15), ConnectionSlots::Outcome::taken);
    EXPECT_EQ(slots.take(v6("::ffff:10.0.0.1"), 16), ConnectionSlots::Outcome::address_full);
    EXPECT_EQ(slots.take(v6("10.0.0.2"), 16), ConnectionSlots::Outcome::taken);
}

// The spare could not be taken again once (every descriptor was in use): the next shortage still refuses
// the waiting connection, because the spare is tried again first.
TEST(SpareDescriptorTest, ASpareThatCouldNotBeReopenedIsTriedAgain) {
    int listening = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    ASSERT_GE(listening, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    ASSERT_EQ(::bind(listening, reinterpret_cast<sockaddr*>(&address), length), 0);
    ASSERT_EQ(::listen(listening, 8), 0);
    ASSERT_EQ(::getsockname(listening, reinterpret_cast<sockaddr*>(&address), &length), 0);
    int waiting = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_EQ(::connect(waiting, reinterpret_cast<sockaddr*>(&address), length), 0);  // in the backlog

    rlimit before{};
    ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &before), 0);
    rlimit lowered = before;
    lowered.rlim_cur = std::min<rlim_t>(before.rlim_cur, 512);
    ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &lowered), 0);
    std::vector<int> filler;
    for (int fd; (fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0;) filler.push_back(fd);
    std::optional<SpareDescriptor> spare;
    spare.emplace();  // finds no descriptor
    const bool held_when_full = spare->held();
    ::close(filler.back());
    filler.pop_back();
    const bool refused = spare->refuse_one(listening);
    for (int fd : filler) ::close(fd);
    ::setrlimit(RLIMIT_NOFILE, &before);

    EXPECT_FALSE(held_when_full);
    EXPECT_TRUE(refused);
    EXPECT_TRUE(spare->held());
    char byte;
    EXPECT_EQ(::recv(waiting, &byte, 1, 0), 0) << "the waiting connection was accepted and closed";
    ::close(waiting);
    ::close(listening);
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

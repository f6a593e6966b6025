#include "client_edge/listener.hpp"

#include <algorithm>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <csignal>
#include <optional>
#include <thread>
#include <vector>

#include "client_edge/connection_slots.hpp"
#include "client_edge/device_fingerprint.hpp"
#include "client_edge/dispatcher.hpp"
#include "client_edge/http_answer.hpp"
#include "client_edge/request_header.hpp"
#include "client_edge/server_tls.hpp"
#include "client_edge/sweep.hpp"
#include "client_edge/tls_transport.hpp"
#include "client_edge/ws_connection.hpp"
#include "client_edge/ws_handshake.hpp"
#include "logging/log.hpp"
#include "metrics/registry.hpp"
#include "net/listen.hpp"

namespace lanchat::host::edge {
namespace asio = boost::asio;
namespace http = boost::beast::http;
using asio::ip::tcp;
using boost::system::error_code;
using Request = http::request<http::empty_body>;

namespace {

constexpr auto kAwait = asio::use_awaitable;
constexpr auto kLingerAfterAnswer = std::chrono::seconds(1);

// Ends a connection that has not become a WebSocket yet when its time is up (TLS handshake, request).
class Deadline final : public Sweep::Member {
public:
    Deadline(Sweep& sweep, TlsTransport& transport) : Sweep::Member(sweep), transport_(transport) {}
    void expire_after(Sweep::Clock::duration wait) { at_ = Sweep::Clock::now() + wait; }
    bool expired() const { return expired_; }
    void tick(Sweep::Clock::time_point now) override {
        if (now < at_) return;
        expired_ = true;
        transport_.close();
    }

private:
    TlsTransport& transport_;
    Sweep::Clock::time_point at_ = Sweep::Clock::time_point::max();
    bool expired_ = false;
};

// The sweep looks often enough that no deadline is late by more than a quarter of the shortest one.
Sweep::Clock::duration sweep_interval(const ClientEdgeConfig& config) {
    auto shortest = std::min<Sweep::Clock::duration>(config.handshake_timeout, config.idle_timeout / 2);
    return std::clamp<Sweep::Clock::duration>(shortest / 4, std::chrono::milliseconds(10), std::chrono::seconds(1));
}

// Reads one request's header into `parser`; `carry` holds what was read and not yet parsed, before and after.
asio::awaitable<error_code> read_request(TlsTransport& transport, RequestParser& parser, std::string& carry) {
    error_code error;
    while (!parse_request_bytes(parser, carry, error)) {
        std::span<char> buffer = loop_read_buffer();
        size_t got = co_await transport.read_some(buffer, error);
        if (error) co_return error;
        carry.append(buffer.data(), got);
    }
    co_return error;
}

// Answers, says the end is meant, and reads what the client still sends until it ends too (or a second has
// passed): closing with unread bytes would reset the connection and could lose the answer.
asio::awaitable<void> answer_and_end(TlsTransport& transport, Deadline& deadline, std::string answer) {
    co_await transport.write(answer);
    transport.finish_sending();
    deadline.expire_after(kLingerAfterAnswer);
    error_code error;
    while (!error) co_await transport.read_some(loop_read_buffer(), error);
}

}  // namespace

struct Listener::Impl {
    ~Impl() {
        for (auto& sweep : sweeps) sweep->stop();  // each timer goes while its loop is still there
    }

    ClientEdgeConfig config;
    Dispatcher* dispatcher = nullptr;
    NodeLog* log = nullptr;
    asio::ssl::context tls{asio::ssl::context::tls_server};
    std::vector<std::unique_ptr<Sweep>> sweeps;  // one per loop, declared first: connections leave it last
    std::vector<std::unique_ptr<asio::io_context>> loops;
    std::vector<std::thread> threads;
    std::optional<tcp::acceptor> acceptor;
    std::string address;
    std::atomic<size_t> next_loop{0};
    std::atomic<size_t> sockets{0};  // sessions still running, for the shutdown
    std::optional<ConnectionSlots> slots;
    SpareDescriptor spare;
    std::atomic<bool> stopping{false};

    std::shared_ptr<metrics::Family> open_gauge;
    std::shared_ptr<metrics::Family> accepted;
    std::shared_ptr<metrics::Family> frames;
    std::shared_ptr<metrics::Family> writes;
    std::shared_ptr<metrics::Family> closed_codes;
    EdgeWiring wiring;

    std::mutex live_mutex;  // the open WebSocket connections, for the shutdown
    std::map<void*, std::weak_ptr<WsConnection>> live;
    std::vector<std::shared_ptr<WsConnection>> live_connections();

    asio::awaitable<void> accept_loop();
    bool admitted(tcp::socket& socket, const asio::ip::address& from);
    asio::awaitable<void> session(tcp::socket socket, tcp::endpoint peer, Sweep& sweep);
    std::string answer_http(const Request& request, const std::string& peer);
    asio::awaitable<void> upgrade(std::unique_ptr<TlsTransport> transport, Deadline& deadline, Request request,
                                  std::string early, ConnectionFacts facts, Sweep& sweep);
    asio::awaitable<void> serve(std::shared_ptr<WsConnection> connection, ConnectionFacts facts, std::string early);
};

asio::awaitable<void> Listener::Impl::accept_loop() {
    asio::steady_timer backoff(acceptor->get_executor());
    bool reported = false;
    for (;;) {
        error_code error;
        size_t index = next_loop++ % loops.size();
        tcp::socket socket = co_await acceptor->async_accept(*loops[index], asio::redirect_error(kAwait, error));
        if (error == asio::error::operation_aborted || stopping) co_return;
        if (error == asio::error::no_descriptors || error.value() == ENFILE) {
            // The waiting connection is taken with the spare descriptor and closed at once, rather than left
            // hanging in the backlog until its client gives up.
            if (spare.refuse_one(acceptor->native_handle())) accepted->add({"refused_descriptors"}, 1);
        }
        if (error) {
            // Retrying at once would spin. Wait, and say so once.
            if (!reported) log->error("client edge: cannot accept connections", {{"reason", error.message()}});
            reported = true;
            backoff.expires_after(std::chrono::milliseconds(100));
            co_await backoff.async_wait(asio::redirect_error(kAwait, error));
            continue;
        }
        reported = false;
        spare.retake();  // descriptors were free again: the spare is held before the next shortage
        tcp::endpoint peer = socket.remote_endpoint(error);
        if (error || !admitted(socket, peer.address())) continue;
        ++sockets;
        socket.set_option(tcp::no_delay(true), error);  // chat frames are small and wanted now
        if (config.socket_send_buffer_bytes > 0) {
            socket.set_option(asio::socket_base::send_buffer_size(static_cast<int>(config.socket_send_buffer_bytes)),
                              error);
        }
        asio::co_spawn(*loops[index], session(std::move(socket), peer, *sweeps[index]), asio::detached);
    }
}

// Beyond a limit a connection is closed at once, before any TLS work; the slot is taken here, on the accepting
// loop, so a burst of accepts cannot overshoot it.
bool Listener::Impl::admitted(tcp::socket& socket, const asio::ip::address& from) {
    const auto outcome = slots->take(from, socket.native_handle());
    const char* refused = nullptr;
    switch (outcome) {
        case ConnectionSlots::Outcome::taken: return true;
        case ConnectionSlots::Outcome::full: refused = "refused_full"; break;
        case ConnectionSlots::Outcome::address_full: refused = "refused_address"; break;
        case ConnectionSlots::Outcome::descriptors_low: refused = "refused_descriptors"; break;
    }
    accepted->add({refused}, 1);
    error_code ignored;
    socket.close(ignored);
    return false;
}

asio::awaitable<void> Listener::Impl::session(tcp::socket socket, tcp::endpoint peer_endpoint, Sweep& sweep) {
    struct Release {
        Impl& impl;
        asio::ip::address address;
        ~Release() {
            impl.slots->give_back(address);
            --impl.sockets;
        }
    } release{*this, peer_endpoint.address()};
    error_code error;
    std::string peer = net::endpoint_text(peer_endpoint);
    auto transport = std::make_unique<TlsTransport>(std::move(socket), tls.native_handle());
    // One deadline for TLS and the upgrade together: requests on a kept-alive connection do not extend it, so
    // a client cannot hold a slot by asking for a page now and then.
    Deadline deadline(sweep, *transport);
    deadline.expire_after(config.handshake_timeout);
    if (co_await transport->handshake()) {
        accepted->add({"tls_failed"}, 1);  // counted, not logged: scanners would flood the log
        co_return;
    }
    std::string fingerprint = device_fingerprint(transport->native_handle());
    std::string carry;  // read and not yet parsed
    for (;;) {
        RequestParser parser;
        error = co_await read_request(*transport, parser, carry);
        if (error == asio::error::eof || deadline.expired() || error == asio::error::operation_aborted) break;
        if (error) {
            // Not HTTP (or not within the limits): a plain answer, then the connection ends.
            accepted->add({"bad_request"}, 1);
            co_await answer_and_end(
                *transport, deadline,
                wire_bytes(plain_answer(http::status::bad_request, 11, "bad request: " + error.message())));
            co_return;
        }
        Request request = parser.release();
        if (boost::beast::websocket::is_upgrade(request)) {
            ConnectionFacts facts{std::move(peer), std::move(fingerprint), std::string(request.target())};
            co_await upgrade(std::move(transport), deadline, std::move(request), std::move(carry), std::move(facts),
                             sweep);
            co_return;
        }
        accepted->add({"http"}, 1);
        std::string answer = answer_http(request, peer);
        if (!request.keep_alive()) co_return co_await answer_and_end(*transport, deadline, std::move(answer));
        if (co_await transport->write(answer)) break;
    }
    transport->finish_sending();
}

std::string Listener::Impl::answer_http(const Request& request, const std::string& peer) {
    abi::HttpRequest asked{std::string(request.method_string()), std::string(request.target()), peer,
                           std::string(request[http::field::if_none_match])};
    return wire_bytes(http_response(request, dispatcher->http(asked)));
}

asio::awaitable<void> Listener::Impl::upgrade(std::unique_ptr<TlsTransport> transport, Deadline& deadline,
                                              Request request, std::string early, ConnectionFacts facts, Sweep& sweep) {
    auto refuse = [&](http::status status, std::string why) -> asio::awaitable<void> {
        accepted->add({"upgrade_refused"}, 1);
        auto answer = plain_answer(status, request.version(), std::move(why));
        if (status == http::status::upgrade_required) answer.set(http::field::sec_websocket_version, "13");
        co_await answer_and_end(*transport, deadline, wire_bytes(answer));  // a clean end the client can see
    };
    if (auto refusal = upgrade_refusal(request)) co_return co_await refuse(refusal->status, refusal->why);
    if (!dispatcher->has_handler()) {
        co_return co_await refuse(http::status::service_unavailable,
                                  "no gateway plugin is running on this node; try again later");
    }
    // The 101 answer is not written here: it leaves with the gateway's first frame (its hello) in one TLS write.
    std::string accept = switching_protocols(request[http::field::sec_websocket_key]);
    request = {};      // an open connection keeps none of its upgrade request
    deadline.leave();  // the connection's own deadlines take over
    accepted->add({"websocket"}, 1);
    co_await serve(std::make_shared<WsConnection>(std::move(transport), wiring, sweep, std::move(accept)),
                   std::move(facts), std::move(early));
}

asio::awaitable<void> Listener::Impl::serve(std::shared_ptr<WsConnection> connection, ConnectionFacts facts,
                                            std::string early) {
    lanchat_connection_id id = dispatcher->opened(connection, std::move(facts));
    if (id == 0) {
        connection->close(kCloseTryLater, "no gateway is running; try again later");
        co_return co_await connection->run(0, std::move(early));
    }
    {
        std::lock_guard lock(live_mutex);
        live[connection.get()] = connection;
    }
    open_gauge->add({}, 1);
    co_await connection->run(id, std::move(early));
    open_gauge->add({}, -1);
    std::lock_guard lock(live_mutex);
    live.erase(connection.get());
}

Listener::Listener(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

std::vector<std::shared_ptr<WsConnection>> Listener::Impl::live_connections() {
    std::vector<std::shared_ptr<WsConnection>> open;
    std::lock_guard lock(live_mutex);
    for (auto& [key, weak] : live) {
        if (auto connection = weak.lock()) open.push_back(std::move(connection));
    }
    return open;
}

Listener::~Listener() {
    impl_->stopping = true;
    asio::post(impl_->acceptor->get_executor(), [impl = impl_.get()] {
        error_code ignored;
        impl->acceptor->close(ignored);
    });
    auto wait_for_sockets = [&](int tenths_of_ms) {
        for (int waited = 0; waited < tenths_of_ms && impl_->sockets.load() > 0; ++waited) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    };
    // Going-away frames to whoever is still connected and a moment for them to leave; then the sockets of
    // those that did not are closed, so every connection's end is reported before the loops stop.
    for (auto& connection : impl_->live_connections()) connection->close(kCloseGoingAway, "the node is stopping");
    wait_for_sockets(100);
    for (auto& connection : impl_->live_connections()) connection->abort();
    wait_for_sockets(200);
    for (auto& loop : impl_->loops) loop->stop();
    for (auto& thread : impl_->threads) thread.join();
}

const std::string& Listener::address() const { return impl_->address; }

sdk::Result<std::unique_ptr<Listener>> Listener::start(const ClientEdgeConfig& config, const std::filesystem::path& ca,
                                                       std::shared_ptr<net::Revocations> revocations,
                                                       Dispatcher& dispatcher, metrics::Registry& metrics,
                                                       NodeLog& log) {
    // OpenSSL writes to the socket with write(2), which raises SIGPIPE when the client has reset the
    // connection; that must end the connection, not the node.
    std::signal(SIGPIPE, SIG_IGN);
    auto impl = std::make_unique<Impl>();
    impl->config = config;
    impl->dispatcher = &dispatcher;
    impl->log = &log;
    if (sdk::Status configured = configure_server_tls(impl->tls, config, ca, std::move(revocations)); !configured.ok())
        return configured;

    impl->open_gauge = metrics.must(metrics::Kind::gauge, "lanchat_client_edge_connections",
                                    "Open WebSocket connections on the client edge.", {});
    impl->accepted = metrics.must(metrics::Kind::counter, "lanchat_client_edge_accepted_total",
                                  "Connections and requests on the client edge, by outcome.", {"outcome"});
    impl->frames = metrics.must(metrics::Kind::counter, "lanchat_client_edge_frames_total",
                                "WebSocket messages received (in) and sent (out).", {"direction"});
    impl->writes = metrics.must(metrics::Kind::counter, "lanchat_client_edge_writes_total",
                                "TLS writes to WebSocket clients; every frame queued at the time shares one.", {});
    impl->closed_codes = metrics.must(metrics::Kind::counter, "lanchat_client_edge_closed_total",
                                      "Ended WebSocket connections, by close code.", {"code"});
    impl->wiring = {&impl->config, &dispatcher, impl->frames.get(), impl->writes.get(), impl->closed_codes.get()};

    for (unsigned i = 0; i < config.threads; ++i) {
        impl->loops.push_back(std::make_unique<asio::io_context>(1));
        impl->sweeps.push_back(std::make_unique<Sweep>(*impl->loops.back(), sweep_interval(config)));
        impl->sweeps.back()->start();
    }
    impl->acceptor.emplace(*impl->loops.front());
    if (sdk::Status bound = net::listen_on(*impl->acceptor, config.listen, "[client_edge] listen"); !bound.ok())
        return bound;
    impl->acceptor->non_blocking(true);  // the spare descriptor's accept must never wait
    impl->slots.emplace(config.max_connections, config.max_connections_per_address);
    impl->address = net::endpoint_text(impl->acceptor->local_endpoint());
    asio::co_spawn(*impl->loops.front(), impl->accept_loop(), asio::detached);
    for (auto& loop : impl->loops) {
        impl->threads.emplace_back([loop = loop.get()] {
            auto work = asio::make_work_guard(*loop);
            loop->run();
        });
    }
    return std::unique_ptr<Listener>(new Listener(std::move(impl)));
}

}  // namespace lanchat::host::edge

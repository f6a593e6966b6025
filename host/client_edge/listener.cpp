#include "client_edge/listener.hpp"

#include <openssl/ssl.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <deque>
#include <optional>
#include <thread>
#include <vector>

#include "client_edge/device_fingerprint.hpp"
#include "client_edge/dispatcher.hpp"
#include "client_edge/http_answer.hpp"
#include "client_edge/origin_check.hpp"
#include "client_edge/server_tls.hpp"
#include "logging/log.hpp"
#include "metrics/registry.hpp"
#include "net/listen.hpp"

namespace lanchat::host::edge {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using asio::ip::tcp;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;
using WsStream = websocket::stream<TlsStream>;

namespace {

constexpr size_t kHeaderLimit = 8 * 1024;
constexpr auto kAwait = asio::use_awaitable;

}  // namespace

class WsConnection;

struct Listener::Impl {
    ClientEdgeConfig config;
    Dispatcher* dispatcher = nullptr;
    NodeLog* log = nullptr;
    asio::ssl::context tls{asio::ssl::context::tls_server};
    std::vector<std::unique_ptr<asio::io_context>> loops;
    std::vector<std::thread> threads;
    std::optional<tcp::acceptor> acceptor;
    std::string address;
    std::atomic<size_t> next_loop{0};
    std::atomic<size_t> sockets{0};
    std::atomic<bool> stopping{false};

    std::shared_ptr<metrics::Family> open_gauge;
    std::shared_ptr<metrics::Family> accepted;
    std::shared_ptr<metrics::Family> frames;
    std::shared_ptr<metrics::Family> closed_codes;

    std::mutex live_mutex;  // the open WebSocket connections, for the shutdown
    std::map<void*, std::weak_ptr<WsConnection>> live;
    std::vector<std::shared_ptr<WsConnection>> live_connections();

    asio::awaitable<void> accept_loop();
    asio::awaitable<void> session(tcp::socket socket);
    http::response<http::string_body> answer_http(const http::request<http::empty_body>& request,
                                                  const std::string& peer);
    asio::awaitable<void> upgrade(TlsStream stream, http::request<http::empty_body> request, std::string peer,
                                  std::string fingerprint);
};

// One open WebSocket connection. Everything but send() and close() runs on its own event loop (one thread),
// so the queue needs no lock; those two post onto it.
class WsConnection final : public ConnectionPort, public std::enable_shared_from_this<WsConnection> {
public:
    WsConnection(TlsStream stream, Listener::Impl& edge)
        : ws_(std::move(stream)), wake_(ws_.get_executor()), guard_(ws_.get_executor()), edge_(edge) {}

    WsStream& stream() { return ws_; }

    lanchat_status_code send(Payload text) override {
        size_t size = text->size();
        // One message always fits an empty queue, however large (a history page): the limit is on backlog.
        size_t before = queued_bytes_.fetch_add(size);
        if (before > 0 && before + size > edge_.config.send_queue_bytes) {
            queued_bytes_ -= size;
            if (!over_limit_.exchange(true)) {
                asio::post(ws_.get_executor(), [self = shared_from_this()] {
                    self->dropped_bytes_outbox();
                    self->begin_close(kCloseSlowReader, "send queue over its limit: the client does not read");
                });
            }
            return LANCHAT_RESOURCE_EXHAUSTED;
        }
        asio::post(ws_.get_executor(), [self = shared_from_this(), text = std::move(text)]() mutable {
            if (self->finished_ || self->closing_) {  // nothing goes out after the close frame was asked for
                self->queued_bytes_ -= text->size();
                return;
            }
            self->outbox_.push_back(std::move(text));
            self->wake_.cancel();
        });
        return LANCHAT_OK;
    }

    // Ends the connection now, without a closing handshake (the node is going and the client did not answer).
    void abort() {
        asio::post(ws_.get_executor(), [self = shared_from_this()] {
            if (!self->finished_) beast::get_lowest_layer(self->ws_).close();
        });
    }

    void close(uint16_t code, std::string reason) override {
        asio::post(ws_.get_executor(),
                   [self = shared_from_this(), code, reason = std::move(reason)] { self->begin_close(code, reason); });
    }

    // Writes queued messages one at a time, then the close frame once asked to.
    asio::awaitable<void> write_loop() {
        auto self = shared_from_this();
        beast::error_code error;
        while (!finished_) {
            if (!outbox_.empty()) {
                Payload message = std::move(outbox_.front());
                outbox_.pop_front();
                co_await ws_.async_write(asio::buffer(*message), asio::redirect_error(kAwait, error));
                queued_bytes_ -= message->size();
                if (error) break;
                edge_.frames->add({"out"}, 1);
                continue;
            }
            if (closing_) {
                co_await ws_.async_close(*closing_, asio::redirect_error(kAwait, error));
                break;
            }
            wake_.expires_at(asio::steady_timer::time_point::max());
            co_await wake_.async_wait(asio::redirect_error(kAwait, error));
        }
        if (error && !finished_) beast::get_lowest_layer(ws_).close();  // the reader ends too
    }

    // Hands each text message to the dispatcher until the connection ends; then reports how it ended.
    asio::awaitable<void> read_loop(lanchat_connection_id id) {
        auto self = shared_from_this();
        beast::flat_buffer buffer;
        beast::error_code error;
        for (;;) {
            co_await ws_.async_read(buffer, asio::redirect_error(kAwait, error));
            if (error) break;
            edge_.frames->add({"in"}, 1);
            if (!ws_.got_text()) {
                begin_close(kCloseUnsupported, "binary frames are not accepted: send JSON text");
            } else if (!closing_) {
                const auto data = buffer.cdata();
                edge_.dispatcher->message(id, {static_cast<const char*>(data.data()), data.size()});
            }
            buffer.consume(buffer.size());
        }
        finished_ = true;
        wake_.cancel();
        guard_.cancel();
        auto [code, reason] = ending(error);
        edge_.closed_codes->add({std::to_string(code)}, 1);
        edge_.dispatcher->closed(id, code, reason);
    }

private:
    void dropped_bytes_outbox() {
        for (const Payload& message : outbox_) queued_bytes_ -= message->size();
        outbox_.clear();
    }

    void begin_close(uint16_t code, const std::string& reason) {
        if (closing_ || finished_) return;
        closing_ = websocket::close_reason(static_cast<websocket::close_code>(code), reason);
        wake_.cancel();
        // A client that reads nothing never takes the close frame: end the connection anyway.
        guard_.expires_after(edge_.config.handshake_timeout);
        guard_.async_wait([self = shared_from_this()](beast::error_code error) {
            if (!error && !self->finished_) beast::get_lowest_layer(self->ws_).close();
        });
    }

    // The close code and reason the handler is told.
    std::pair<uint16_t, std::string> ending(const beast::error_code& error) const {
        if (closing_) return {static_cast<uint16_t>(closing_->code), std::string(closing_->reason.c_str())};
        if (error == websocket::error::closed) {
            return {static_cast<uint16_t>(ws_.reason().code), std::string(ws_.reason().reason.c_str())};
        }
        if (error == websocket::error::message_too_big) {
            return {static_cast<uint16_t>(websocket::close_code::too_big), "message over the size limit"};
        }
        if (error == beast::error::timeout) return {1006, "idle timeout: no answer to pings"};
        return {1006, error.message()};
    }

    WsStream ws_;
    asio::steady_timer wake_;
    asio::steady_timer guard_;
    Listener::Impl& edge_;
    std::deque<Payload> outbox_;
    std::atomic<size_t> queued_bytes_{0};
    std::atomic<bool> over_limit_{false};
    std::optional<websocket::close_reason> closing_;
    bool finished_ = false;
};

asio::awaitable<void> Listener::Impl::accept_loop() {
    asio::steady_timer backoff(acceptor->get_executor());
    bool reported = false;
    for (;;) {
        beast::error_code error;
        auto& loop = *loops[next_loop++ % loops.size()];
        tcp::socket socket = co_await acceptor->async_accept(loop, asio::redirect_error(kAwait, error));
        if (error == asio::error::operation_aborted || stopping) co_return;
        if (error) {
            // Out of file descriptors, most likely: retrying at once would spin. Wait, and say so once.
            if (!reported) log->error("client edge: cannot accept connections", {{"reason", error.message()}});
            reported = true;
            backoff.expires_after(std::chrono::milliseconds(100));
            co_await backoff.async_wait(asio::redirect_error(kAwait, error));
            continue;
        }
        reported = false;
        if (sockets.load() >= config.max_connections) {
            accepted->add({"refused_full"}, 1);
            socket.close(error);  // beyond max_connections: closed at once, before any TLS work
            continue;
        }
        ++sockets;  // counted here, so a burst of accepts cannot overshoot the limit
        socket.set_option(tcp::no_delay(true), error);  // chat frames are small and wanted now
        if (config.socket_send_buffer_bytes > 0) {
            socket.set_option(asio::socket_base::send_buffer_size(static_cast<int>(config.socket_send_buffer_bytes)),
                              error);
        }
        asio::co_spawn(loop, session(std::move(socket)), asio::detached);
    }
}

asio::awaitable<void> Listener::Impl::session(tcp::socket socket) {
    struct Release {
        std::atomic<size_t>& count;
        ~Release() { --count; }
    } release{sockets};
    beast::error_code error;
    std::string peer = net::endpoint_text(socket.remote_endpoint(error));
    TlsStream stream(beast::tcp_stream(std::move(socket)), tls);
    beast::get_lowest_layer(stream).expires_after(config.handshake_timeout);
    co_await stream.async_handshake(asio::ssl::stream_base::server, asio::redirect_error(kAwait, error));
    if (error) {
        accepted->add({"tls_failed"}, 1);  // counted, not logged: scanners would flood the log
        co_return;
    }
    std::string fingerprint = device_fingerprint(stream.native_handle());
    beast::flat_buffer buffer;
    for (;;) {
        http::request_parser<http::empty_body> parser;
        parser.header_limit(kHeaderLimit);
        beast::get_lowest_layer(stream).expires_after(config.handshake_timeout);
        co_await http::async_read(stream, buffer, parser, asio::redirect_error(kAwait, error));
        if (error == http::error::end_of_stream || error == beast::error::timeout ||
            error == asio::ssl::error::stream_truncated) {
            break;
        }
        if (error) {
            // Not HTTP (or not within the limits): a plain answer, then the connection ends.
            accepted->add({"bad_request"}, 1);
            http::response<http::string_body> bad{http::status::bad_request, 11};
            bad.set(http::field::content_type, "text/plain; charset=utf-8");
            bad.body() = "bad request: " + error.message() + "\n";
            bad.keep_alive(false);
            bad.prepare_payload();
            co_await http::async_write(stream, bad, asio::redirect_error(kAwait, error));
            break;
        }
        http::request<http::empty_body> request = parser.release();
        if (websocket::is_upgrade(request)) {
            co_await upgrade(std::move(stream), std::move(request), std::move(peer), std::move(fingerprint));
            co_return;
        }
        accepted->add({"http"}, 1);
        auto response = answer_http(request, peer);
        co_await http::async_write(stream, response, asio::redirect_error(kAwait, error));
        if (error || response.need_eof()) break;
    }
    beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(1));
    co_await stream.async_shutdown(asio::redirect_error(kAwait, error));
}

http::response<http::string_body> Listener::Impl::answer_http(const http::request<http::empty_body>& request,
                                                              const std::string& peer) {
    abi::HttpRequest asked{std::string(request.method_string()), std::string(request.target()), peer,
                           std::string(request[http::field::if_none_match])};
    return http_response(request, dispatcher->http(asked));
}

asio::awaitable<void> Listener::Impl::upgrade(TlsStream stream, http::request<http::empty_body> request,
                                              std::string peer, std::string fingerprint) {
    beast::error_code error;
    auto refuse = [&](http::status status, std::string why) -> asio::awaitable<void> {
        accepted->add({"upgrade_refused"}, 1);
        http::response<http::string_body> no{status, request.version()};
        no.set(http::field::content_type, "text/plain; charset=utf-8");
        no.body() = std::move(why) + "\n";
        no.keep_alive(false);
        no.prepare_payload();
        co_await http::async_write(stream, no, asio::redirect_error(kAwait, error));
        beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(1));
        co_await stream.async_shutdown(asio::redirect_error(kAwait, error));  // a clean end the client can see
    };
    if (request.target() != "/ws") {
        co_return co_await refuse(http::status::not_found, "WebSocket connections go to /ws");
    }
    // A browser page from another site must not ride on this user's network position (cross-site WebSocket
    // hijacking): when a browser names the page's origin, it has to be this very host.
    if (auto origin = request.find(http::field::origin); origin != request.end()) {
        if (!same_authority(origin->value(), request[http::field::host])) {
            co_return co_await refuse(http::status::forbidden, "cross-origin WebSocket refused: the page's origin " +
                                                                   std::string(origin->value()) + " is not this host");
        }
    }
    if (!dispatcher->has_handler()) {
        co_return co_await refuse(http::status::service_unavailable,
                                  "no gateway plugin is running on this node; try again later");
    }
    auto connection = std::make_shared<WsConnection>(std::move(stream), *this);
    WsStream& ws = connection->stream();
    beast::get_lowest_layer(ws).expires_never();  // the WebSocket's own timeouts take over
    // Pings go out when half the idle time has passed without data; no answer by the end closes.
    websocket::stream_base::timeout timeouts{config.handshake_timeout, config.idle_timeout, true};
    ws.set_option(timeouts);
    ws.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& response) { response.set(http::field::server, "lanchatd"); }));
    ws.read_message_max(config.max_message_bytes);
    ws.text(true);
    co_await ws.async_accept(request, asio::redirect_error(kAwait, error));
    if (error) {
        accepted->add({"upgrade_failed"}, 1);
        co_return;
    }
    accepted->add({"websocket"}, 1);
    ConnectionFacts facts{peer, fingerprint, std::string(request.target())};
    lanchat_connection_id id = dispatcher->opened(connection, std::move(facts));
    if (id == 0) {
        co_await ws.async_close(websocket::close_reason(static_cast<websocket::close_code>(kCloseTryLater),
                                                        "no gateway is running; try again later"),
                                asio::redirect_error(kAwait, error));
        co_return;
    }
    {
        std::lock_guard lock(live_mutex);
        live[connection.get()] = connection;
    }
    open_gauge->add({}, 1);
    asio::co_spawn(ws.get_executor(), connection->write_loop(), asio::detached);
    co_await connection->read_loop(id);
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
        beast::error_code ignored;
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
                                                       Dispatcher& dispatcher, metrics::Registry& metrics,
                                                       NodeLog& log) {
    auto impl = std::make_unique<Impl>();
    impl->config = config;
    impl->dispatcher = &dispatcher;
    impl->log = &log;
    if (sdk::Status configured = configure_server_tls(impl->tls, config, ca); !configured.ok()) return configured;

    impl->open_gauge = metrics.must(metrics::Kind::gauge, "lanchat_client_edge_connections",
                                    "Open WebSocket connections on the client edge.", {});
    impl->accepted = metrics.must(metrics::Kind::counter, "lanchat_client_edge_accepted_total",
                                  "Connections and requests on the client edge, by outcome.", {"outcome"});
    impl->frames = metrics.must(metrics::Kind::counter, "lanchat_client_edge_frames_total",
                                "WebSocket messages received (in) and sent (out).", {"direction"});
    impl->closed_codes = metrics.must(metrics::Kind::counter, "lanchat_client_edge_closed_total",
                                      "Ended WebSocket connections, by close code.", {"code"});

    for (unsigned i = 0; i < config.threads; ++i) impl->loops.push_back(std::make_unique<asio::io_context>(1));
    impl->acceptor.emplace(*impl->loops.front());
    if (sdk::Status bound = net::listen_on(*impl->acceptor, config.listen, "[client_edge] listen"); !bound.ok())
        return bound;
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

#include "websocket_client.hpp"

#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <deque>

#include "lanchat/url/url.hpp"

namespace lanchat::client {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using asio::ip::tcp;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

namespace {

// Runs `io` until `done` or until `timeout`; on timeout the socket is closed so the operation ends.
template <class Socket>
bool run_until(asio::io_context& io, const bool& done, std::chrono::milliseconds timeout, Socket& socket) {
    io.restart();
    io.run_for(timeout);
    if (done) return true;
    beast::error_code ignored;
    socket.close(ignored);
    io.restart();
    io.run();
    return false;
}

sdk::Result<asio::ssl::context> tls_context(const Endpoint& endpoint) {
    asio::ssl::context tls(asio::ssl::context::tls_client);
    beast::error_code error;
    tls.load_verify_file(endpoint.ca.string(), error);
    if (error) return sdk::failed_precondition("CA certificate " + endpoint.ca.string() + ": " + error.message());
    if (!endpoint.certificate.empty()) {
        tls.use_certificate_chain_file(endpoint.certificate.string(), error);
        if (!error) tls.use_private_key_file(endpoint.key.string(), asio::ssl::context::pem, error);
        if (error)
            return sdk::failed_precondition("device certificate " + endpoint.certificate.string() + ": " +
                                            error.message());
    }
    tls.set_verify_mode(asio::ssl::verify_peer);
    return tls;
}

// TCP connect and TLS handshake, checking the node's certificate against the CA and the expected name.
sdk::Status open_tls(asio::io_context& io, TlsStream& stream, const Endpoint& endpoint,
                     std::chrono::milliseconds timeout) {
    beast::error_code error;
    tcp::resolver resolver(io);
    auto addresses = resolver.resolve(endpoint.host, endpoint.port, error);
    if (error)
        return sdk::invalid_argument("cannot resolve " + endpoint.host + ":" + endpoint.port + ": " + error.message());
    SSL_set_tlsext_host_name(stream.native_handle(), endpoint.server_name.c_str());
    stream.set_verify_callback(asio::ssl::host_name_verification(endpoint.server_name));
    // The first address only: a range connect would reopen the socket and lose its options.
    tcp::endpoint target = addresses.begin()->endpoint();
    tcp::socket& socket = beast::get_lowest_layer(stream).socket();
    socket.open(target.protocol(), error);
    if (!error && endpoint.receive_buffer_bytes > 0) {
        socket.set_option(asio::socket_base::receive_buffer_size(endpoint.receive_buffer_bytes), error);
    }
    if (error) return sdk::internal_error("cannot open a socket: " + error.message());
    bool done = false;
    socket.async_connect(target, [&](beast::error_code connected) {
        error = connected;
        if (error) {
            done = true;
            return;
        }
        stream.async_handshake(asio::ssl::stream_base::client, [&](beast::error_code handshaken) {
            error = handshaken;
            done = true;
        });
    });
    if (!run_until(io, done, timeout, beast::get_lowest_layer(stream).socket())) {
        return sdk::Status(sdk::Code::deadline_exceeded, "no TLS connection to " + endpoint.host + ":" + endpoint.port +
                                                             " within " + std::to_string(timeout.count()) + " ms");
    }
    if (error)
        return sdk::unavailable("TLS connection to " + endpoint.host + ":" + endpoint.port +
                                " failed: " + error.message());
    return {};
}

}  // namespace

sdk::Status parse_address(const std::string& address, Endpoint& endpoint) {
    auto parsed = url::parse_host_port(address);
    if (!parsed.ok()) {
        return sdk::invalid_argument("address '" + address + "' must be host:port, e.g. 127.0.0.1:8443 (" +
                                     parsed.status().message() + ")");
    }
    endpoint.host = std::move(parsed->host);
    endpoint.port = std::move(parsed->port);
    return {};
}

struct WebSocketClient::Impl {
    asio::io_context io{1};
    std::deque<std::string> outbox;  // run(): written one at a time, on the io thread
    bool writing = false;
    asio::ssl::context tls;
    websocket::stream<TlsStream> ws;
    beast::flat_buffer buffer;

    explicit Impl(asio::ssl::context context) : tls(std::move(context)), ws(io, tls) {}
    tcp::socket& socket() { return beast::get_lowest_layer(ws).socket(); }

    void write_next() {
        writing = !outbox.empty();
        if (!writing) return;
        ws.text(true);
        ws.async_write(asio::buffer(outbox.front()), [this](beast::error_code error, size_t) {
            outbox.pop_front();
            if (error) outbox.clear();
            write_next();
        });
    }
};

WebSocketClient::WebSocketClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
WebSocketClient::~WebSocketClient() = default;

sdk::Result<std::unique_ptr<WebSocketClient>> WebSocketClient::connect(const Endpoint& endpoint,
                                                                       std::chrono::milliseconds timeout) {
    auto tls = tls_context(endpoint);
    if (!tls.ok()) return tls.status();
    auto impl = std::make_unique<Impl>(std::move(tls).value());
    if (sdk::Status opened = open_tls(impl->io, impl->ws.next_layer(), endpoint, timeout); !opened.ok()) return opened;
    impl->ws.set_option(websocket::stream_base::decorator([&endpoint](websocket::request_type& request) {
        request.set(beast::http::field::user_agent, "lanchat-client");
        if (!endpoint.origin.empty()) request.set(beast::http::field::origin, endpoint.origin);
    }));
    impl->ws.read_message_max(16 * 1024 * 1024);
    beast::error_code error;
    bool done = false;
    websocket::response_type response;
    std::string host = endpoint.host.find(':') != std::string::npos ? "[" + endpoint.host + "]" : endpoint.host;
    impl->ws.async_handshake(response, host + ":" + endpoint.port, endpoint.target, [&](beast::error_code upgraded) {
        error = upgraded;
        done = true;
    });
    if (!run_until(impl->io, done, timeout, impl->socket())) {
        return sdk::Status(sdk::Code::deadline_exceeded,
                           "no WebSocket upgrade within " + std::to_string(timeout.count()) + " ms");
    }
    if (error) {
        std::string why = error.message();
        if (response.result_int() != 0)
            why += " (HTTP " + std::to_string(response.result_int()) + ": " + response.body() + ")";
        return sdk::unavailable("WebSocket upgrade refused: " + why);
    }
    // From now on a server that vanished must not hold a closing client for minutes (set only now: during the
    // upgrade it would make a refused one wait out the whole timeout); idle connections are the server's call.
    websocket::stream_base::timeout timeouts{std::chrono::seconds(5), websocket::stream_base::none(), false};
    impl->ws.set_option(timeouts);
    return std::unique_ptr<WebSocketClient>(new WebSocketClient(std::move(impl)));
}

sdk::Status WebSocketClient::send(const std::string& text) {
    beast::error_code error;
    impl_->ws.text(true);
    impl_->ws.write(asio::buffer(text), error);
    if (error) return sdk::unavailable("send failed: " + error.message());
    return {};
}

sdk::Status WebSocketClient::send_binary(const std::string& bytes) {
    beast::error_code error;
    impl_->ws.binary(true);
    impl_->ws.write(asio::buffer(bytes), error);
    impl_->ws.text(true);
    if (error) return sdk::unavailable("send failed: " + error.message());
    return {};
}

sdk::Result<std::string> WebSocketClient::receive(std::chrono::milliseconds timeout) {
    beast::error_code error;
    bool done = false;
    impl_->buffer.clear();
    impl_->ws.async_read(impl_->buffer, [&](beast::error_code read, size_t) {
        error = read;
        done = true;
    });
    if (!run_until(impl_->io, done, timeout, impl_->socket())) {
        return sdk::Status(sdk::Code::deadline_exceeded,
                           "nothing received within " + std::to_string(timeout.count()) + " ms");
    }
    if (error) {
        record_ending(error);
        if (close_code_ != 1006)
            return sdk::unavailable("closed by the server: " + std::to_string(close_code_) + " " + close_reason_);
        return sdk::unavailable("connection lost: " + close_reason_);
    }
    return beast::buffers_to_string(impl_->buffer.cdata());
}

// The server's close frame says how the connection ended, even when the TLS/TCP teardown after it failed
// (Beast then reports the teardown's error, e.g. a truncated stream, instead of `closed`).
void WebSocketClient::record_ending(const beast::error_code& error) {
    const websocket::close_reason& received = impl_->ws.reason();
    if (error == websocket::error::closed || received.code != websocket::close_code::none) {
        close_code_ = static_cast<uint16_t>(received.code);
        close_reason_ = received.reason.c_str();
    } else {
        close_code_ = 1006;
        close_reason_ = error.message();
    }
}

void WebSocketClient::close(uint16_t code) {
    bool done = false;
    impl_->ws.async_close(websocket::close_reason(static_cast<websocket::close_code>(code)),
                          [&](beast::error_code) { done = true; });
    run_until(impl_->io, done, std::chrono::seconds(2), impl_->socket());
}

void WebSocketClient::run(const std::function<void(const std::string&)>& on_message) {
    std::function<void()> read_next = [&] {
        impl_->buffer.clear();
        impl_->ws.async_read(impl_->buffer, [&](beast::error_code error, size_t) {
            if (error) return record_ending(error);
            on_message(beast::buffers_to_string(impl_->buffer.cdata()));
            read_next();
        });
    };
    read_next();
    impl_->io.restart();
    impl_->io.run();
}

void WebSocketClient::send_later(std::string text) {
    asio::post(impl_->io, [impl = impl_.get(), text = std::move(text)]() mutable {
        impl->outbox.push_back(std::move(text));
        if (!impl->writing) impl->write_next();
    });
}

void WebSocketClient::close_later(uint16_t code) {
    asio::post(impl_->io, [impl = impl_.get(), code] {
        impl->ws.async_close(websocket::close_reason(static_cast<websocket::close_code>(code)),
                             [](beast::error_code) {});
    });
}

struct TlsClient::Impl {
    asio::io_context io{1};
    asio::ssl::context tls;
    TlsStream stream;

    explicit Impl(asio::ssl::context context) : tls(std::move(context)), stream(io, tls) {}
};

TlsClient::TlsClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TlsClient::~TlsClient() = default;

sdk::Result<std::unique_ptr<TlsClient>> TlsClient::connect(const Endpoint& endpoint,
                                                           std::chrono::milliseconds timeout) {
    auto tls = tls_context(endpoint);
    if (!tls.ok()) return tls.status();
    auto impl = std::make_unique<Impl>(std::move(tls).value());
    if (sdk::Status opened = open_tls(impl->io, impl->stream, endpoint, timeout); !opened.ok()) return opened;
    return std::unique_ptr<TlsClient>(new TlsClient(std::move(impl)));
}

sdk::Status TlsClient::write(const std::string& bytes) {
    beast::error_code error;
    asio::write(impl_->stream, asio::buffer(bytes), error);
    if (error) return sdk::unavailable("write failed: " + error.message());
    return {};
}

std::string TlsClient::read_all(std::chrono::milliseconds timeout) {
    std::string received;
    beast::flat_buffer buffer;
    bool done = false;
    std::function<void()> read_more = [&] {
        impl_->stream.async_read_some(buffer.prepare(4096), [&](beast::error_code error, size_t size) {
            buffer.commit(size);
            received += beast::buffers_to_string(buffer.cdata());
            buffer.consume(buffer.size());
            if (error) {
                done = true;
                return;
            }
            read_more();
        });
    };
    read_more();
    run_until(impl_->io, done, timeout, beast::get_lowest_layer(impl_->stream).socket());
    return received;
}

}  // namespace lanchat::client

#include "baseline_server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <deque>
#include <iostream>
#include <map>
#include <memory>
#include <set>

namespace lanchat::bench::edge {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using asio::ip::tcp;
using WsStream = beast::websocket::stream<beast::ssl_stream<beast::tcp_stream>>;
constexpr auto kAwait = asio::use_awaitable;

struct BaselineServer {
    asio::io_context io{1};
    asio::ssl::context tls{asio::ssl::context::tls_server};
    std::set<std::shared_ptr<WsStream>> connections;
    std::map<WsStream*, std::deque<std::shared_ptr<std::string>>> queues;  // what each connection has yet to write

    asio::awaitable<void> serve(tcp::socket socket) {
        auto ws = std::make_shared<WsStream>(beast::tcp_stream(std::move(socket)), tls);
        beast::error_code error;
        co_await ws->next_layer().async_handshake(asio::ssl::stream_base::server, asio::redirect_error(kAwait, error));
        if (error) co_return;
        co_await ws->async_accept(asio::redirect_error(kAwait, error));
        if (error) co_return;
        ws->text(true);
        connections.insert(ws);
        beast::flat_buffer buffer;
        for (;;) {
            co_await ws->async_read(buffer, asio::redirect_error(kAwait, error));
            if (error) break;
            std::string text = beast::buffers_to_string(buffer.cdata());
            buffer.consume(buffer.size());
            if (text.find("\"auth\"") != std::string::npos) {
                co_await ws->async_write(asio::buffer(std::string(R"({"type":"ok","id":"a"})")),
                                         asio::redirect_error(kAwait, error));
                continue;
            }
            // Broadcast, each write awaited in turn (a real server would queue; this is the cheapest form).
            auto text_shared = std::make_shared<std::string>(std::move(text));
            for (const auto& peer : connections) {
                asio::co_spawn(io, write_one(peer, text_shared), asio::detached);
            }
        }
        connections.erase(ws);
    }

    asio::awaitable<void> write_one(std::shared_ptr<WsStream> ws, std::shared_ptr<std::string> text) {
        auto& queue = queues[ws.get()];
        queue.push_back(text);
        if (queue.size() > 1) co_return;  // the writer already running drains it
        beast::error_code error;
        while (!queue.empty()) {
            co_await ws->async_write(asio::buffer(*queue.front()), asio::redirect_error(kAwait, error));
            queue.pop_front();
            if (error) {
                queue.clear();
                break;
            }
        }
    }

    int run(const std::string& certificate, const std::string& key) {
        tls.use_certificate_chain_file(certificate);
        tls.use_private_key_file(key, asio::ssl::context::pem);
        SSL_CTX_set_mode(tls.native_handle(), SSL_MODE_RELEASE_BUFFERS);
        tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
        std::cout << "baseline listening 127.0.0.1:" << acceptor.local_endpoint().port() << std::endl;
        asio::co_spawn(
            io,
            [&]() -> asio::awaitable<void> {
                for (;;) {
                    tcp::socket socket = co_await acceptor.async_accept(kAwait);
                    socket.set_option(tcp::no_delay(true));
                    asio::co_spawn(io, serve(std::move(socket)), asio::detached);
                }
            },
            asio::detached);
        io.run();
        return 0;
    }
};

}  // namespace

int run_baseline_server(const std::string& certificate, const std::string& key) {
    return BaselineServer().run(certificate, key);
}

}  // namespace lanchat::bench::edge

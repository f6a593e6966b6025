// The client-edge load generator: one event loop (one thread) driving many WebSocket/TLS connections, the
// same client code against the node and against the baseline server.
#pragma once

#include <sys/types.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace lanchat::bench::edge {

using Clock = std::chrono::steady_clock;
using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;
using WsStream = boost::beast::websocket::stream<TlsStream>;

// A server the generator talks to.
struct Target {
    std::string name;  // "lanchat" or "baseline"
    std::string host = "127.0.0.1";
    std::string port;
    bool node = false;  // speaks the real protocol (hello first, ids on answers)
    pid_t pid = -1;
};

struct Connection {
    Connection(boost::asio::io_context& io, boost::asio::ssl::context& tls) : ws(io, tls) {}
    WsStream ws;
    boost::beast::flat_buffer buffer;
};

using Connections = std::vector<std::shared_ptr<Connection>>;

// Nanoseconds on the steady clock: what the fan-out's messages carry as their send time.
int64_t now_ns();

// Owns the event loop every connection runs on; its coroutines run only inside a call that runs the loop
// (open_many, handshakes, or a caller's io().run()).
class Generator {
public:
    explicit Generator(const std::filesystem::path& ca);

    // Connect, TLS, upgrade; for the node also the hello, and `auth_frame` (when not empty) answered ok.
    // nullptr on failure, said on stderr.
    boost::asio::awaitable<std::shared_ptr<Connection>> open(const Target& target, std::string auth_frame);

    // A request on a connection nobody else reads yet (callers pass a named json: GCC 12 rejects a braced
    // list inside a co_await expression): writes `frame`, reads until the answer with `id`.
    boost::asio::awaitable<nlohmann::json> request(Connection& connection, nlohmann::json frame);

    // Runs `count` opens `concurrency` at a time; returns the connections and the opens per second.
    std::pair<Connections, double> open_many(const Target& target, const std::string& auth, int count, int concurrency);

    // Bare TLS handshakes (connect, handshake, close) per second against the same port.
    double handshakes(const Target& target, int count, int concurrency);

    // Runs `task(n)` for n = 0 .. count-1, `concurrency` at a time, until all are done.
    void run_tasks(int count, int concurrency, const std::function<boost::asio::awaitable<void>(int)>& task);

    // Runs `task` alone on the loop until it is done.
    void run_alone(const std::function<boost::asio::awaitable<void>()>& task);

    boost::asio::io_context& io() { return io_; }

private:
    boost::asio::io_context io_{1};
    boost::asio::ssl::context tls_{boost::asio::ssl::context::tls_client};
};

}  // namespace lanchat::bench::edge

#include "generator.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <iostream>

namespace lanchat::bench::edge {

namespace asio = boost::asio;
namespace beast = boost::beast;
using asio::ip::tcp;
using json = nlohmann::json;
constexpr auto kAwait = asio::use_awaitable;

namespace {

constexpr const char* kServerName = "gateway.lan-chat.svc";  // the name the node certificate carries

tcp::endpoint endpoint_of(const Target& target) {
    return {asio::ip::make_address(target.host), static_cast<unsigned short>(std::stoi(target.port))};
}

// Connects from a source address of its own in 127.1.0.0/16 (round robin): one client address holds at most
// one ephemeral port range of connections, so 50,000 need several.
template <class Stream>
asio::awaitable<beast::error_code> connect_from_spread_source(Stream& stream, const Target& target) {
    static uint32_t next = 0;
    uint32_t n = next++ % 65000;
    asio::ip::address_v4 source(
        asio::ip::address_v4::bytes_type{127, 1, static_cast<uint8_t>(n / 250), static_cast<uint8_t>(n % 250 + 1)});
    beast::error_code error;
    tcp::socket& socket = beast::get_lowest_layer(stream).socket();
    socket.open(tcp::v4(), error);
    if (!error) socket.bind({source, 0}, error);
    if (!error)
        co_await beast::get_lowest_layer(stream).async_connect(endpoint_of(target),
                                                               asio::redirect_error(kAwait, error));
    co_return error;
}

}  // namespace

int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

Generator::Generator(const std::filesystem::path& ca) {
    tls_.load_verify_file(ca.string());
    tls_.set_verify_mode(asio::ssl::verify_peer);
}

asio::awaitable<std::shared_ptr<Connection>> Generator::open(const Target& target, std::string auth_frame) {
    auto connection = std::make_shared<Connection>(io_, tls_);
    beast::error_code error = co_await connect_from_spread_source(connection->ws, target);
    if (error) {
        std::cerr << "connect failed: " << error.message() << "\n";
        co_return nullptr;
    }
    beast::get_lowest_layer(connection->ws).socket().set_option(tcp::no_delay(true));
    SSL_set_tlsext_host_name(connection->ws.next_layer().native_handle(), kServerName);
    co_await connection->ws.next_layer().async_handshake(asio::ssl::stream_base::client,
                                                         asio::redirect_error(kAwait, error));
    if (error) {
        std::cerr << "TLS failed: " << error.message() << "\n";
        co_return nullptr;
    }
    co_await connection->ws.async_handshake(target.host + ":" + target.port, "/ws",
                                            asio::redirect_error(kAwait, error));
    if (error) {
        std::cerr << "upgrade failed: " << error.message() << "\n";
        co_return nullptr;
    }
    connection->ws.text(true);
    if (target.node) {
        co_await connection->ws.async_read(connection->buffer, asio::redirect_error(kAwait, error));  // hello
        connection->buffer.consume(connection->buffer.size());
    }
    if (!auth_frame.empty()) {
        co_await connection->ws.async_write(asio::buffer(auth_frame), asio::redirect_error(kAwait, error));
        co_await connection->ws.async_read(connection->buffer, asio::redirect_error(kAwait, error));
        if (error) {
            std::cerr << "auth failed: " << error.message() << "\n";
            co_return nullptr;
        }
        std::string answer = beast::buffers_to_string(connection->buffer.cdata());
        connection->buffer.consume(connection->buffer.size());
        if (answer.find("\"ok\"") == std::string::npos) {
            std::cerr << "auth refused: " << answer << "\n";
            co_return nullptr;
        }
    }
    co_return connection;
}

asio::awaitable<json> Generator::request(Connection& connection, json frame) {
    static int counter = 0;
    std::string id = "q" + std::to_string(++counter);
    frame["id"] = id;
    beast::error_code error;
    std::string text = frame.dump();
    co_await connection.ws.async_write(asio::buffer(text), asio::redirect_error(kAwait, error));
    for (;;) {
        co_await connection.ws.async_read(connection.buffer, asio::redirect_error(kAwait, error));
        if (error) co_return json{{"type", "error"}, {"message", error.message()}};
        json answer = json::parse(beast::buffers_to_string(connection.buffer.cdata()), nullptr, false);
        connection.buffer.consume(connection.buffer.size());
        if (answer.is_object() && answer.value("id", "") == id) co_return answer;
    }
}

void Generator::run_tasks(int count, int concurrency, const std::function<asio::awaitable<void>(int)>& task) {
    int started = 0;
    for (int worker = 0; worker < concurrency; ++worker) {
        asio::co_spawn(
            io_,
            [&]() -> asio::awaitable<void> {
                while (started < count) co_await task(started++);
            },
            asio::detached);
    }
    io_.restart();
    io_.run();
}

void Generator::run_alone(const std::function<asio::awaitable<void>()>& task) {
    asio::co_spawn(io_, task, asio::detached);
    io_.restart();
    io_.run();
}

std::pair<Connections, double> Generator::open_many(const Target& target, const std::string& auth, int count,
                                                    int concurrency) {
    Connections opened;
    int failed = 0;
    auto begin = Clock::now();
    run_tasks(count, concurrency, [&](int) -> asio::awaitable<void> {
        auto connection = co_await open(target, auth);
        if (connection)
            opened.push_back(connection);
        else
            ++failed;
    });
    double seconds = std::chrono::duration<double>(Clock::now() - begin).count();
    if (failed > 0) std::cerr << "  (" << failed << " connections failed)\n";
    return {std::move(opened), opened.size() / seconds};
}

double Generator::handshakes(const Target& target, int count, int concurrency) {
    int done = 0;
    auto begin = Clock::now();
    run_tasks(count, concurrency, [&](int) -> asio::awaitable<void> {
        TlsStream stream(io_, tls_);
        beast::error_code error = co_await connect_from_spread_source(stream, target);
        SSL_set_tlsext_host_name(stream.native_handle(), kServerName);
        if (!error)
            co_await stream.async_handshake(asio::ssl::stream_base::client, asio::redirect_error(kAwait, error));
        if (!error) ++done;
    });
    return done / std::chrono::duration<double>(Clock::now() - begin).count();
}

}  // namespace lanchat::bench::edge

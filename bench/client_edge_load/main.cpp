// Client-edge load: authenticated WebSocket/TLS connections on loopback against a real all-in-one node,
// each figure printed beside the same traffic through a minimal Beast WebSocket/TLS server (same certificate,
// same client code, run as a child process like the node) — the baseline of what the transport alone costs.
//
//   connection setup   WebSocket/TLS connect + token authentication per second, beside bare TLS handshakes
//                      per second against the same port
//   connections held   N idle authenticated connections: resident memory per connection, CPU while idle
//   fan-out            one channel with M connected members, a sender at increasing rates: deliveries per
//                      second at saturation; send-to-deliver latency p50/p99 at half that rate
//
// usage: client_edge_load LANCHATD LANCHATCTL PLUGIN_DIR [--idle N] [--members M] [--seconds S]
//        client_edge_load --baseline-server CERT KEY      (the baseline; started by the benchmark itself)
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <chrono>
#include <deque>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "bench_support.hpp"
#include "lanchat/url/url.hpp"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace fs = std::filesystem;
using asio::ip::tcp;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;
using WsStream = websocket::stream<TlsStream>;
constexpr auto kAwait = asio::use_awaitable;

namespace {

int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

// ---------------------------------------------------------------------------------------------------------
// The baseline: a WebSocket/TLS server that answers "auth" with ok and broadcasts every other text message to
// every connection. No protocol, no services: the transport and nothing else.
// ---------------------------------------------------------------------------------------------------------

struct BaselineServer {
    asio::io_context io{1};
    asio::ssl::context tls{asio::ssl::context::tls_server};
    std::set<std::shared_ptr<WsStream>> connections;

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
    std::map<WsStream*, std::deque<std::shared_ptr<std::string>>> queues;
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

// ---------------------------------------------------------------------------------------------------------
// The load generator: one event loop, many connections.
// ---------------------------------------------------------------------------------------------------------

struct Target {
    std::string name;  // "lanchat" or "baseline"
    std::string host = "127.0.0.1";
    std::string port;
    bool node = false;  // speaks the real protocol (hello first, ids on answers)
    pid_t pid = -1;
};

struct Connection {
    explicit Connection(asio::io_context& io, asio::ssl::context& tls) : ws(io, tls) {}
    WsStream ws;
    beast::flat_buffer buffer;
};

class Generator {
public:
    explicit Generator(const fs::path& ca) {
        tls_.load_verify_file(ca.string());
        tls_.set_verify_mode(asio::ssl::verify_peer);
    }

    // Connect, TLS, upgrade; for the node also the hello and `auth` answered ok. nullptr on failure.
    asio::awaitable<std::shared_ptr<Connection>> open(const Target& target, std::string auth_frame) {
        auto connection = std::make_shared<Connection>(io_, tls_);
        beast::error_code error;
        tcp::endpoint endpoint(asio::ip::make_address(target.host),
                               static_cast<unsigned short>(std::stoi(target.port)));
        co_await beast::get_lowest_layer(connection->ws).async_connect(endpoint, asio::redirect_error(kAwait, error));
        if (error) {
            std::cerr << "connect failed: " << error.message() << "\n";
            co_return nullptr;
        }
        beast::get_lowest_layer(connection->ws).socket().set_option(tcp::no_delay(true));
        SSL_set_tlsext_host_name(connection->ws.next_layer().native_handle(), "gateway.lan-chat.svc");
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

    // A request on a connection nobody else reads yet (callers pass a named json: GCC 12 rejects a braced
    // list inside a co_await expression): writes `frame`, reads until the answer with `id`.
    asio::awaitable<json> request(Connection& connection, json frame) {
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

    // Runs `count` opens `concurrency` at a time; returns the connections and the opens per second.
    std::pair<std::vector<std::shared_ptr<Connection>>, double> open_many(const Target& target, const std::string& auth,
                                                                          int count, int concurrency) {
        std::vector<std::shared_ptr<Connection>> opened;
        int started = 0, failed = 0;
        auto begin = Clock::now();
        for (int worker = 0; worker < concurrency; ++worker) {
            asio::co_spawn(
                io_,
                [&]() -> asio::awaitable<void> {
                    while (started < count) {
                        ++started;
                        auto connection = co_await open(target, auth);
                        if (connection)
                            opened.push_back(connection);
                        else
                            ++failed;
                    }
                },
                asio::detached);
        }
        io_.restart();
        io_.run();
        double seconds = std::chrono::duration<double>(Clock::now() - begin).count();
        if (failed > 0) std::cerr << "  (" << failed << " connections failed)\n";
        return {std::move(opened), opened.size() / seconds};
    }

    // Bare TLS handshakes (connect, handshake, close) per second against the same port.
    double handshakes(const Target& target, int count, int concurrency) {
        int started = 0, done = 0;
        auto begin = Clock::now();
        for (int worker = 0; worker < concurrency; ++worker) {
            asio::co_spawn(
                io_,
                [&]() -> asio::awaitable<void> {
                    while (started < count) {
                        ++started;
                        TlsStream stream(io_, tls_);
                        beast::error_code error;
                        tcp::endpoint endpoint(asio::ip::make_address(target.host),
                                               static_cast<unsigned short>(std::stoi(target.port)));
                        co_await beast::get_lowest_layer(stream).async_connect(endpoint,
                                                                               asio::redirect_error(kAwait, error));
                        SSL_set_tlsext_host_name(stream.native_handle(), "gateway.lan-chat.svc");
                        if (!error)
                            co_await stream.async_handshake(asio::ssl::stream_base::client,
                                                            asio::redirect_error(kAwait, error));
                        if (!error) ++done;
                    }
                },
                asio::detached);
        }
        io_.restart();
        io_.run();
        return done / std::chrono::duration<double>(Clock::now() - begin).count();
    }

    asio::io_context& io() { return io_; }

private:
    asio::io_context io_{1};
    asio::ssl::context tls_{asio::ssl::context::tls_client};
};

// Resident memory (bytes) and CPU time (seconds) of a process, from /proc.
size_t resident_bytes(pid_t pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
    }
    return 0;
}
double cpu_seconds(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), {});
    std::istringstream fields(text.substr(text.rfind(')') + 2));
    std::string field;
    double ticks = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i) {
        if (i == 14 || i == 15) ticks += std::stod(field);
    }
    return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

struct FanOut {
    double offered_per_second = 0;  // sends per second asked for
    double delivered_per_second = 0;
    double p50_ms = 0, p99_ms = 0;
};

// One channel's traffic: persistent readers on every receiver (and on the sender, whose answers are dropped)
// record deliveries into whichever run is current; run() sends at `rate` for `seconds`.
class FanOutRig {
public:
    FanOutRig(Generator& generator, const Target& target, std::shared_ptr<Connection> sender, std::string channel,
              std::vector<std::shared_ptr<Connection>> receivers)
        : generator_(generator),
          target_(target),
          sender_(std::move(sender)),
          channel_(std::move(channel)),
          receivers_(std::move(receivers)) {
        for (const auto& receiver : receivers_) asio::co_spawn(generator_.io(), read(receiver, true), asio::detached);
        asio::co_spawn(generator_.io(), read(sender_, false), asio::detached);
    }

    // Sends at `rate` for `seconds`, then waits until this step's deliveries stop (backlog included), so one
    // step's queue never spills into the next. Throughput: this step's deliveries over the time they took.
    FanOut run(double rate, int seconds) {
        ++step_;
        latencies_.clear();
        latencies_.reserve(static_cast<size_t>(rate * seconds * receivers_.size()) + 1);
        delivered_ = 0;
        bool sent_all = false;
        const auto start = Clock::now();
        last_delivery_ = start;
        asio::co_spawn(generator_.io(), send(rate, seconds, sent_all), asio::detached);
        generator_.io().restart();
        while (!sent_all) generator_.io().run_one();
        const auto give_up = Clock::now() + 60s;
        while (Clock::now() - last_delivery_ < 1s && Clock::now() < give_up) generator_.io().run_for(50ms);
        FanOut result;
        result.offered_per_second = rate;
        result.delivered_per_second = delivered_ / std::chrono::duration<double>(last_delivery_ - start).count();
        std::sort(latencies_.begin(), latencies_.end());
        if (!latencies_.empty()) {
            result.p50_ms = latencies_[latencies_.size() / 2];
            result.p99_ms = latencies_[static_cast<size_t>(latencies_.size() * 0.99)];
        }
        return result;
    }

    size_t receivers() const { return receivers_.size(); }

private:
    asio::awaitable<void> read(std::shared_ptr<Connection> connection, bool counts) {
        beast::error_code error;
        for (;;) {
            co_await connection->ws.async_read(connection->buffer, asio::redirect_error(kAwait, error));
            if (error) co_return;
            std::string_view text(static_cast<const char*>(connection->buffer.cdata().data()),
                                  connection->buffer.size());
            size_t at = text.find("\"body\":\"t");
            if (counts && at != std::string_view::npos) {  // body: t<step>_<send time in ns>
                size_t separator = text.find('_', at);
                int step = std::stoi(std::string(text.substr(at + 9, separator - at - 9)));
                int64_t sent = std::stoll(std::string(text.substr(separator + 1, 20)));
                if (step == step_) {
                    latencies_.push_back((now_ns() - sent) / 1e6);
                    ++delivered_;
                    last_delivery_ = Clock::now();
                }
            }
            connection->buffer.consume(connection->buffer.size());
        }
    }

    // Paced by the clock, not by answers: an open loop, as many senders would be.
    asio::awaitable<void> send(double rate, int seconds, bool& done) {
        asio::steady_timer timer(generator_.io());
        beast::error_code error;
        auto start = Clock::now();
        auto end = start + std::chrono::seconds(seconds);
        for (int64_t sent = 0; Clock::now() < end; ++sent) {
            timer.expires_at(start + std::chrono::nanoseconds(static_cast<int64_t>(sent * 1e9 / rate)));
            co_await timer.async_wait(asio::redirect_error(kAwait, error));
            std::string body = "t" + std::to_string(step_) + "_" + std::to_string(now_ns());
            std::string frame = target_.node ? json{{"type", "send"},
                                                    {"channel_id", channel_},
                                                    {"body", body},
                                                    {"client_message_id", "b" + std::to_string(++message_ids_)}}
                                                   .dump()
                                             : json{{"type", "send"}, {"body", body}}.dump();
            co_await sender_->ws.async_write(asio::buffer(frame), asio::redirect_error(kAwait, error));
        }
        done = true;
    }

    Generator& generator_;
    const Target& target_;
    std::shared_ptr<Connection> sender_;
    std::string channel_;
    std::vector<std::shared_ptr<Connection>> receivers_;
    std::vector<double> latencies_;
    uint64_t delivered_ = 0;
    Clock::time_point last_delivery_;
    int step_ = 0;
    int64_t message_ids_ = 0;
};

std::string arg_value(std::vector<std::string>& args, const std::string& flag, const std::string& fallback) {
    auto it = std::find(args.begin(), args.end(), flag);
    if (it == args.end() || it + 1 == args.end()) return fallback;
    std::string value = *(it + 1);
    args.erase(it, it + 2);
    return value;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.size() == 3 && args[0] == "--baseline-server") return BaselineServer().run(args[1], args[2]);
    int idle = std::stoi(arg_value(args, "--idle", "10000"));
    int members = std::stoi(arg_value(args, "--members", "1000"));
    int seconds = std::stoi(arg_value(args, "--seconds", "5"));
    if (args.size() != 3) {
        std::cerr << "usage: client_edge_load LANCHATD LANCHATCTL PLUGIN_DIR [--idle N] [--members M] [--seconds S]\n";
        return 2;
    }
    const std::string lanchatd = args[0], lanchatctl = args[1];
    const fs::path plugin_dir = fs::absolute(args[2]);  // the node file lives elsewhere
    rlimit files{};
    getrlimit(RLIMIT_NOFILE, &files);
    files.rlim_cur = files.rlim_max;  // the node and the baseline inherit it
    setrlimit(RLIMIT_NOFILE, &files);
    if (files.rlim_cur < static_cast<rlim_t>(idle) + 1000) {
        std::cerr << "open files limit " << files.rlim_cur << " is below " << idle + 1000 << "; lower --idle\n";
        return 2;
    }

    // The node: every service plugin and the gateway, limits opened up for a load generator.
    char pattern[] = "/tmp/lanchat-edge-bench-XXXXXX";
    fs::path dir = mkdtemp(pattern);
    fs::path pki = dir / "pki";
    lanchat::bench::run({lanchatctl, "pki", "init", "--dir", pki.string(), "--trust-domain", "lan-chat.bench"});
    lanchat::bench::run({lanchatctl, "pki", "issue", "--dir", pki.string(), "--node", "n", "--service",
                         "audit,identity,auth,channel,router,presence,gateway"});
    std::ofstream(dir / "n.toml") << "[node]\nname = \"n\"\ndata_dir = \"data\"\n"
                                     "[mesh]\nlisten = \"127.0.0.1:0\"\npki_dir = \"pki\"\n"
                                     "[client_edge]\nlisten = \"127.0.0.1:0\"\nmax_connections = 100000\n";
    std::ofstream plugins(dir / "n.toml", std::ios::app);
    for (std::string name : {"audit", "identity", "auth", "channel", "router", "presence", "gateway"}) {
        plugins << "[[plugin]]\nname = \"" << name << "\"\npath = \"" << (plugin_dir / (name + ".so")).string()
                << "\"\n";
        if (name == "identity") plugins << "[plugin.config]\nargon2_memory_kib = 8192\nargon2_iterations = 1\n";
        if (name == "gateway")
            plugins << "[plugin.config]\nallow_registration = true\nrate_per_second = 100000\nburst = 100000\n";
    }
    plugins.close();
    lanchat::bench::Child node;
    lanchat::bench::start(node, {lanchatd, (dir / "n.toml").string()}, "\"node ready\"", [](const std::string& line) {
        auto clients = lanchat::url::parse_url(lanchat::bench::json_field(line, "clients"), {"https"});
        auto server = lanchat::sdk::value_or_throw(std::move(clients)).server;
        return server.host + ":" + server.port;
    });
    lanchat::bench::Child baseline_child;
    lanchat::bench::start(
        baseline_child,
        {argv[0], "--baseline-server", (pki / "nodes/n/node.crt").string(), (pki / "nodes/n/node.key").string()},
        "baseline listening", [](const std::string& line) {
            std::string address = line.substr(line.rfind(' ') + 1);
            return address.substr(0, address.find_last_not_of("\r\n") + 1);
        });
    auto port_of = [](const std::string& address) {
        return lanchat::sdk::value_or_throw(lanchat::url::parse_host_port(address)).port;
    };
    Target lanchat{"lanchat", "127.0.0.1", port_of(node.address), true, node.pid};
    Target baseline{"baseline", "127.0.0.1", port_of(baseline_child.address), false, baseline_child.pid};
    Generator generator(pki / "ca.crt");

    // One account gives the token every idle connection authenticates with.
    std::string token;
    asio::co_spawn(
        generator.io(),
        [&]() -> asio::awaitable<void> {
            auto first = co_await generator.open(lanchat, "");
            json registration = {{"type", "register"}, {"username", "bench"}, {"password", "bench password"}};
            json answer = co_await generator.request(*first, registration);
            token = answer.value("access_token", "");
        },
        asio::detached);
    generator.io().restart();
    generator.io().run();
    if (token.empty()) {
        std::cerr << "could not register the benchmark user\n";
        return 1;
    }
    const std::string node_auth = json{{"type", "auth"}, {"token", token}}.dump();
    const std::string baseline_auth = R"({"type":"auth","token":"x"})";

    std::cout << std::fixed << std::setprecision(1);
    std::cout << "client edge load on loopback, 2 processes on this machine (generator: 1 thread)\n\n";

    // Connection setup.
    std::cout << "connection setup (2000 connections, 32 at a time)\n";
    for (const Target* target : {&lanchat, &baseline}) {
        auto [opened, rate] = generator.open_many(*target, target->node ? node_auth : baseline_auth, 2000, 32);
        opened.clear();
        generator.io().restart();
        generator.io().poll();
        double bare = generator.handshakes(*target, 2000, 32);
        std::cout << "  " << std::setw(8) << target->name << ": WebSocket/TLS + auth " << rate
                  << "/s, bare TLS handshakes " << bare << "/s (" << 100 * rate / bare << "%)\n";
    }

    // Connections held.
    std::cout << "\nconnections held (" << idle << " idle authenticated connections)\n";
    for (const Target* target : {&lanchat, &baseline}) {
        size_t before = resident_bytes(target->pid);
        auto [opened, rate] = generator.open_many(*target, target->node ? node_auth : baseline_auth, idle, 64);
        std::this_thread::sleep_for(1s);
        size_t after = resident_bytes(target->pid);
        double cpu_before = cpu_seconds(target->pid);
        std::this_thread::sleep_for(10s);
        double cpu_idle = (cpu_seconds(target->pid) - cpu_before) / 10 * 100;
        std::cout << "  " << std::setw(8) << target->name << ": " << opened.size() << " held, resident "
                  << (after - before) / 1024.0 / std::max<size_t>(1, opened.size()) << " KiB per connection ("
                  << before / 1048576.0 << " -> " << after / 1048576.0 << " MiB), CPU while idle " << cpu_idle << "%\n";
        opened.clear();
        generator.io().restart();
        generator.io().poll();
    }

    // Fan-out: M members of one channel, each connected and subscribed.
    std::cout << "\nfan-out: one channel, " << members << " connected members, one sender, " << seconds
              << " s per rate\n";
    std::string channel;
    std::vector<std::shared_ptr<Connection>> receivers;
    std::shared_ptr<Connection> sender;
    asio::co_spawn(
        generator.io(),
        [&]() -> asio::awaitable<void> {
            sender = co_await generator.open(lanchat, node_auth);
            json create = {{"type", "channels.create"}, {"name", "fanout"}};
            json created = co_await generator.request(*sender, create);
            channel = created["channel"].value("id", "");
        },
        asio::detached);
    generator.io().restart();
    generator.io().run();
    int registering = 0;
    for (int worker = 0; worker < 8; ++worker) {
        asio::co_spawn(
            generator.io(),
            [&]() -> asio::awaitable<void> {
                while (registering < members) {
                    int n = registering++;
                    auto member = co_await generator.open(lanchat, "");
                    if (!member) continue;
                    json registration = {
                        {"type", "register"}, {"username", "m" + std::to_string(n)}, {"password", "member password"}};
                    json registered = co_await generator.request(*member, registration);
                    if (registered["type"] != "ok") {
                        std::cerr << "register: " << registered.dump() << "\n";
                        continue;
                    }
                    json join = {{"type", "channels.join"}, {"channel_id", channel}};
                    co_await generator.request(*member, join);
                    json subscribe = {{"type", "subscribe"}};
                    co_await generator.request(*member, subscribe);
                    receivers.push_back(member);
                }
            },
            asio::detached);
    }
    generator.io().restart();
    generator.io().run();
    std::vector<std::shared_ptr<Connection>> baseline_receivers;
    {
        auto [opened, rate] = generator.open_many(baseline, baseline_auth, members, 32);
        baseline_receivers = std::move(opened);
    }
    std::shared_ptr<Connection> baseline_sender;
    asio::co_spawn(
        generator.io(),
        [&]() -> asio::awaitable<void> { baseline_sender = co_await generator.open(baseline, baseline_auth); },
        asio::detached);
    generator.io().restart();
    generator.io().run();

    if (!sender || channel.empty() || !baseline_sender) {
        std::cerr << "could not set up the fan-out (sender, channel or baseline sender missing)\n";
        return 1;
    }
    std::cout << "  " << receivers.size() << " lanchat members, " << baseline_receivers.size()
              << " baseline connections\n";
    auto sweep = [&](FanOutRig& rig, const std::string& name) {
        FanOut best;
        for (double rate : {5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 60.0, 80.0, 120.0, 160.0, 240.0, 320.0, 480.0, 640.0}) {
            FanOut step = rig.run(rate, seconds);
            std::cout << "  " << std::setw(8) << name << ": " << std::setw(6) << rate << " sends/s -> " << std::setw(9)
                      << step.delivered_per_second << " deliveries/s (p50 " << step.p50_ms << " ms, p99 " << step.p99_ms
                      << " ms)" << std::endl;
            if (step.delivered_per_second > best.delivered_per_second) best = step;
            if (step.delivered_per_second < 0.9 * rate * rig.receivers()) break;  // saturated
        }
        FanOut half =
            rig.run(std::max(1.0, best.delivered_per_second / 2 / static_cast<double>(rig.receivers())), seconds);
        std::cout << "  " << std::setw(8) << name << ": saturation " << best.delivered_per_second
                  << " deliveries/s; at half that rate (" << half.offered_per_second << " sends/s) p50 " << half.p50_ms
                  << " ms, p99 " << half.p99_ms << " ms" << std::endl;
    };
    FanOutRig lanchat_rig(generator, lanchat, sender, channel, receivers);
    sweep(lanchat_rig, "lanchat");
    FanOutRig baseline_rig(generator, baseline, baseline_sender, channel, baseline_receivers);
    sweep(baseline_rig, "baseline");
    fs::remove_all(dir);
    return 0;
}

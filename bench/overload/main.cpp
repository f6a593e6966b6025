// Overload: what a node does when more sends are offered than it can store. Registered members of one public
// channel each send on their own WebSocket/TLS connection, every send with a unique client_message_id,
// resubscribing when told. The offered rate rises until the acknowledged rate stops keeping up (saturation);
// then 2x and 4x the saturating rate are offered, each followed at once by a normal rate (half of it).
// Printed per phase: offered, acknowledged (goodput), refused by code, p99 time to an answer and to a
// refusal, deliveries, how long after the start of a normal phase it was served in full, and the server's
// CPU-s per 1,000 acknowledged sends. Beside it, all along: /health/ready probed every 100 ms and the node's
// Discovery heartbeats (every 500 ms) watched in its log.
//
// usage: overload LANCHATD LANCHATCTL PLUGIN_DIR [--members N] [--seconds S] [--max-writes-in-flight W]
// (W: the gateway's bounds on writes in flight, per node and per connection; its defaults when not given,
// 1000000 to see the node without them).
#include <algorithm>
#include <atomic>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "bench_support.hpp"
#include "health_watch.hpp"
#include "lanchat/url/url.hpp"
#include "send_rig.hpp"

namespace asio = boost::asio;
namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace lanchat::bench::overload;
using namespace std::chrono_literals;

namespace {

std::string arg_value(std::vector<std::string>& args, const std::string& flag, const std::string& fallback) {
    auto it = std::find(args.begin(), args.end(), flag);
    if (it == args.end() || it + 1 == args.end()) return fallback;
    std::string value = *(it + 1);
    args.erase(it, it + 2);
    return value;
}

// With --max-writes-in-flight W a connection may have W requests in flight too, up to the gateway's ceiling.
std::string requests_in_flight(const std::string& writes_in_flight) {
    return std::to_string(std::min<long long>(std::stoll(writes_in_flight), 10000));
}

// Every service plugin, Discovery as the node's registry and the gateway with its per-connection rate limit
// out of the way: what is measured is the node's capacity, not one connection's budget.
void write_node_file(const fs::path& dir, const fs::path& plugin_dir, const std::string& writes_in_flight) {
    std::ofstream file(dir / "n.toml");
    file << "[node]\nname = \"n\"\ndata_dir = \"data\"\n"
            "[mesh]\nlisten = \"127.0.0.1:0\"\npki_dir = \"pki\"\nregistry = \"discovery\"\nheartbeat_ms = 500\n"
            "[admin]\nlisten = \"127.0.0.1:0\"\n"
            "[client_edge]\nlisten = \"127.0.0.1:0\"\n";
    for (std::string name : {"audit", "identity", "auth", "channel", "router", "presence", "discovery", "gateway"}) {
        file << "[[plugin]]\nname = \"" << name << "\"\npath = \"" << (plugin_dir / (name + ".so")).string() << "\"\n";
        if (name == "identity") file << "[plugin.config]\nargon2_memory_kib = 8192\nargon2_iterations = 1\n";
        if (name == "gateway")
            file << "[plugin.config]\nallow_registration = true\nrate_per_second = 100000\nburst = 100000\n"
                 << (writes_in_flight.empty()
                         ? ""
                         : "max_writes_in_flight = " + writes_in_flight +
                               "\nmax_requests_in_flight = " + requests_in_flight(writes_in_flight) + "\n");
    }
}

// `count` registered members of a new public channel, each subscribed on its own connection.
std::pair<std::string, Connections> members_of_a_channel(Generator& generator, const Target& node, int count) {
    std::string channel;
    Connections members;
    generator.run_tasks(count, 1, [&](int n) -> asio::awaitable<void> {
        auto member = co_await generator.open(node, "");
        if (!member) co_return;
        json registration = {
            {"type", "register"}, {"username", "o" + std::to_string(n)}, {"password", "member password"}};
        json registered = co_await generator.request(*member, registration);
        if (registered["type"] != "ok") {
            std::cerr << "register: " << registered.dump() << "\n";
            co_return;
        }
        if (channel.empty()) {
            json create = {{"type", "channels.create"}, {"name", "overload"}};
            channel = (co_await generator.request(*member, create))["channel"].value("id", "");
        } else {
            json join = {{"type", "channels.join"}, {"channel_id", channel}};
            co_await generator.request(*member, join);
        }
        json subscribe = {{"type", "subscribe"}};
        co_await generator.request(*member, subscribe);
        members.push_back(member);
    });
    return {channel, members};
}

void print(const std::string& name, const Phase& phase, size_t members, const HealthFigures& health) {
    std::cout << "  " << std::left << std::setw(14) << name << std::right << std::setw(7) << phase.offered_per_second
              << " offered/s " << std::setw(7) << phase.goodput() << " acked/s (" << phase.acknowledged << " of "
              << phase.sent << "), refused " << phase.refusals();
    for (const auto& [code, count] : phase.refused) std::cout << " " << code << "=" << count;
    if (phase.unanswered > 0) std::cout << ", unanswered " << phase.unanswered;
    std::cout << "; p99 ack " << phase.p99_ack_ms << " ms, p99 refusal " << phase.p99_refusal_ms << " ms; deliveries "
              << phase.deliveries << " ("
              << static_cast<double>(phase.deliveries) /
                     static_cast<double>(std::max<uint64_t>(1, phase.acknowledged * members))
              << " per member per acked send)";
    if (phase.resubscribes > 0) std::cout << ", resubscribes " << phase.resubscribes;
    if (phase.acknowledged > 0)
        std::cout << "; server " << phase.server_cpu_seconds * 1000 / static_cast<double>(phase.acknowledged)
                  << " CPU-s per 1,000 acked";
    std::cout << "; health " << health.failed << "/" << health.probes << " failed (max " << health.max_ms
              << " ms), discovery failures " << health.discovery_failures << std::endl;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    const int member_count = std::stoi(arg_value(args, "--members", "10"));
    const double seconds = std::stod(arg_value(args, "--seconds", "5"));
    const std::string writes_in_flight = arg_value(args, "--max-writes-in-flight", "");
    if (args.size() != 3) {
        std::cerr << "usage: overload LANCHATD LANCHATCTL PLUGIN_DIR [--members N] [--seconds S] "
                     "[--max-writes-in-flight W]\n";
        return 2;
    }
    const fs::path plugin_dir = fs::absolute(args[2]);
    const fs::path dir = lanchat::bench::scratch_directory("lanchat-overload");
    const fs::path pki = dir / "pki";
    lanchat::bench::run({args[1], "pki", "init", "--dir", pki.string(), "--trust-domain", "lan-chat.bench"});
    lanchat::bench::run({args[1], "pki", "issue", "--dir", pki.string(), "--node", "n", "--service",
                         "audit,identity,auth,channel,router,presence,discovery,gateway"});
    write_node_file(dir, plugin_dir, writes_in_flight);

    HealthWatch watch;
    lanchat::bench::Child node;
    lanchat::bench::start(
        node, {fs::absolute(args[0]).string(), (dir / "n.toml").string()}, "\"node ready\"",
        [](const std::string& line) { return line; }, [&watch](const std::string& line) { watch.log_line(line); });
    const std::string ready = node.address;
    auto clients = lanchat::url::parse_url(lanchat::bench::json_field(ready, "clients"), {"https"});
    auto admin = lanchat::url::parse_url(lanchat::bench::json_field(ready, "admin"), {"http"});
    Target target{"lanchat", "127.0.0.1", lanchat::sdk::value_or_throw(std::move(clients)).server.port, true, node.pid};
    watch.start(lanchat::sdk::value_or_throw(std::move(admin)).server);

    Generator generator(pki / "ca.crt");
    auto [channel, members] = members_of_a_channel(generator, target, member_count);
    if (channel.empty() || static_cast<int>(members.size()) != member_count) {
        std::cerr << "could not set up " << member_count << " members of one channel\n";
        return 1;
    }
    std::cout << std::fixed << std::setprecision(1) << "overload: one public channel, " << members.size()
              << " members each sending on its own connection, " << seconds << " s per phase\n\nrising rates\n";
    SendRig rig(generator, target, channel, members);
    const auto answer_wait = 15s;
    double saturation = 0;  // the best acknowledged rate
    for (double rate : {100.0, 200.0, 400.0, 800.0, 1200.0, 1600.0, 2400.0, 3200.0, 4800.0, 6400.0, 9600.0}) {
        watch.reset();
        Phase step = rig.run(rate, seconds, true, answer_wait);
        print("ramp", step, members.size(), watch.figures());
        saturation = std::max(saturation, step.goodput());
        if (step.goodput() < 0.9 * rate) break;
    }
    std::cout << "saturation: " << saturation << " acknowledged sends/s\n\nfloods, each followed at once by half the "
              << "saturating rate\n";
    for (double factor : {2.0, 4.0}) {
        watch.reset();
        rig.run(factor * saturation, seconds, false, answer_wait);
        const HealthFigures during = watch.figures();
        watch.reset();
        Phase normal = rig.run(saturation / 2, seconds, true, answer_wait);
        Phase flood = rig.figures(rig.phases() - 1);
        print(std::to_string(static_cast<int>(factor)) + "x flood", flood, members.size(), during);
        print("then normal", normal, members.size(), watch.figures());
        std::cout << "  -> goodput " << 100 * flood.goodput() / saturation << " % of saturation; normal rate served "
                  << "in full " << normal.full_service_after_ms << " ms after the flood" << std::endl;
    }
    watch.stop();
    fs::remove_all(dir);
    return 0;
}

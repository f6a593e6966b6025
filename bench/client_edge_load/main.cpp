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
//        (--idle 0 or --members 0 leaves that measurement out)
//        client_edge_load --baseline-server CERT KEY      (the baseline; started by the benchmark itself)
//
// This file: the command line, the node and the baseline started, the report's order.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>

#include "baseline_server.hpp"
#include "bench_support.hpp"
#include "lanchat/url/url.hpp"
#include "measurements.hpp"

namespace asio = boost::asio;
namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace lanchat::bench::edge;

namespace {

std::string arg_value(std::vector<std::string>& args, const std::string& flag, const std::string& fallback) {
    auto it = std::find(args.begin(), args.end(), flag);
    if (it == args.end() || it + 1 == args.end()) return fallback;
    std::string value = *(it + 1);
    args.erase(it, it + 2);
    return value;
}

// Raises the open files limit as far as allowed (the node and the baseline inherit it); false (said) when
// it stays too low for `idle` connections.
bool enough_open_files(int idle) {
    rlimit files{};
    getrlimit(RLIMIT_NOFILE, &files);
    // Root may raise the hard limit too: 50,000 connections need more than a desktop's default allows.
    files.rlim_max = std::max<rlim_t>(files.rlim_max, static_cast<rlim_t>(idle) + 2000);
    files.rlim_cur = files.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &files) != 0) getrlimit(RLIMIT_NOFILE, &files);
    if (files.rlim_cur < static_cast<rlim_t>(idle) + 1000) {
        std::cerr << "open files limit " << files.rlim_cur << " is below " << idle + 1000 << "; lower --idle\n";
        return false;
    }
    return true;
}

// The node file in `dir`: every service plugin and the gateway, limits opened up for a load generator.
void write_node_file(const fs::path& dir, const fs::path& plugin_dir, int idle, int members) {
    // max_connections within the descriptor limit the node inherits (it refuses more): room for the idle
    // connections, the members and the setup measurement's closing ones at once, all from one address.
    const int connections = idle + members + 2500;
    std::ofstream(dir / "n.toml") << "[node]\nname = \"n\"\ndata_dir = \"data\"\n"
                                     "[mesh]\nlisten = \"127.0.0.1:0\"\npki_dir = \"pki\"\n"
                                     "[client_edge]\nlisten = \"127.0.0.1:0\"\nmax_connections = "
                                  << connections << "\nmax_connections_per_address = " << connections << "\n";
    std::ofstream plugins(dir / "n.toml", std::ios::app);
    for (std::string name : {"audit", "identity", "auth", "channel", "router", "presence", "gateway"}) {
        plugins << "[[plugin]]\nname = \"" << name << "\"\npath = \"" << (plugin_dir / (name + ".so")).string()
                << "\"\n";
        if (name == "identity") plugins << "[plugin.config]\nargon2_memory_kib = 8192\nargon2_iterations = 1\n";
        if (name == "gateway")
            plugins << "[plugin.config]\nallow_registration = true\nrate_per_second = 100000\nburst = 100000\n";
    }
}

// Registers the benchmark's user; its token is what every idle connection authenticates with. Empty on failure.
std::string benchmark_token(Generator& generator, const Target& lanchat) {
    std::string token;
    generator.run_alone([&]() -> asio::awaitable<void> {
        auto first = co_await generator.open(lanchat, "");
        json registration = {{"type", "register"}, {"username", "bench"}, {"password", "bench password"}};
        json answer = co_await generator.request(*first, registration);
        token = answer.value("access_token", "");
    });
    return token;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.size() == 3 && args[0] == "--baseline-server") return run_baseline_server(args[1], args[2]);
    int idle = std::stoi(arg_value(args, "--idle", "10000"));
    int members = std::stoi(arg_value(args, "--members", "1000"));
    int seconds = std::stoi(arg_value(args, "--seconds", "5"));
    if (args.size() != 3) {
        std::cerr << "usage: client_edge_load LANCHATD LANCHATCTL PLUGIN_DIR [--idle N] [--members M] [--seconds S]\n";
        return 2;
    }
    const std::string lanchatd = args[0], lanchatctl = args[1];
    const fs::path plugin_dir = fs::absolute(args[2]);        // the node file lives elsewhere
    if (!enough_open_files(idle + members + 2500)) return 2;  // the node inherits the limit

    const fs::path dir = lanchat::bench::scratch_directory("lanchat-edge-bench");
    const fs::path pki = dir / "pki";
    lanchat::bench::run({lanchatctl, "pki", "init", "--dir", pki.string(), "--trust-domain", "lan-chat.bench"});
    lanchat::bench::run({lanchatctl, "pki", "issue", "--dir", pki.string(), "--node", "n", "--service",
                         "audit,identity,auth,channel,router,presence,gateway"});
    write_node_file(dir, plugin_dir, idle, members);
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
    Targets targets;
    targets.lanchat = {"lanchat", "127.0.0.1", port_of(node.address), true, node.pid};
    targets.baseline = {"baseline", "127.0.0.1", port_of(baseline_child.address), false, baseline_child.pid};
    Generator generator(pki / "ca.crt");

    std::string token = benchmark_token(generator, targets.lanchat);
    if (token.empty()) {
        std::cerr << "could not register the benchmark user\n";
        return 1;
    }
    targets.node_auth = json{{"type", "auth"}, {"token", token}}.dump();
    targets.baseline_auth = R"({"type":"auth","token":"x"})";

    std::cout << std::fixed << std::setprecision(1);
    std::cout << "client edge load on loopback, 2 processes on this machine (generator: 1 thread)\n\n";
    measure_connection_setup(generator, targets);
    if (idle > 0) measure_connections_held(generator, targets, idle);
    if (members > 0 && !measure_fan_out(generator, targets, members, seconds)) return 1;
    fs::remove_all(dir);
    return 0;
}

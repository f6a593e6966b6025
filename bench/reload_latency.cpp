// Hot reload under load: the same closed-loop Echo.Say load on a lanchatd node, first steady, then while a
// second client reloads the plugin back to back through the admin endpoint. Prints reloads per second,
// failed calls, and p50/p99 during reloads beside the steady figures measured in the same run.
//
// usage: reload_latency LANCHATD LANCHATCTL ECHO_PLUGIN [SECONDS] [CONCURRENCY]
#include <atomic>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <thread>

#include "bench_support.hpp"
#include "lanchat/http_client/http_client.hpp"
#include "lanchat/url/url.hpp"

namespace fs = std::filesystem;
using namespace lanchat::bench;

namespace {

// POST /plugins/echo/reload over loopback HTTP; true on 200.
bool reload(const lanchat::url::HostPort& admin) {
    lanchat::http_client::Request request;
    request.method = "POST";
    request.target = "/plugins/echo/reload";
    request.user_agent = "reload_latency";
    auto outcome = lanchat::http_client::send({admin.host, admin.port, std::nullopt}, request);
    const auto* response = std::get_if<lanchat::http_client::Response>(&outcome);
    return response != nullptr && response->status == 200;
}

}  // namespace

int main(int argc, char** argv) {
    auto arguments =
        node_arguments(argc, argv, "usage: reload_latency LANCHATD LANCHATCTL ECHO_PLUGIN [SECONDS] [CONCURRENCY]\n");
    if (!arguments) return 2;
    const int seconds = arguments->number(0, 5);
    const int concurrency = arguments->number(1, 8);

    const fs::path dir = scratch_directory();
    make_pki(arguments->lanchatctl, dir / "pki", {"node"});
    std::ofstream(dir / "node.toml") << "[node]\nname = \"node\"\ndata_dir = \"data\"\ndrain_timeout_ms = 2000\n"
                                     << "[mesh]\nlisten = \"127.0.0.1:0\"\npki_dir = \"pki\"\n"
                                     << "[authorization]\n\"lanchat.test.v1.Echo\" = [\"caller\"]\n"
                                     << "[admin]\nlisten = \"127.0.0.1:0\"\n"
                                     << "[[plugin]]\nname = \"echo\"\npath = \"" << arguments->plugin << "\"\n";
    Child node;
    lanchat::url::HostPort admin;
    start(node, {arguments->lanchatd, (dir / "node.toml").string()}, "\"node ready\"",
          [&admin](const std::string& line) {
              admin = lanchat::sdk::value_or_throw(lanchat::url::parse_url(json_field(line, "admin"), {"http"})).server;
              return json_field(line, "grpc");
          });

    std::printf("hot reload under load: Echo.Say over mutual TLS, %d concurrent callers, %d s per phase\n", concurrency,
                seconds);
    Figures steady = measure(channel(node.address, dir / "pki"), seconds, concurrency);

    std::atomic<bool> stop{false};
    std::atomic<uint64_t> reloads{0}, refused{0};
    std::thread reloader([&] {
        while (!stop) (reload(admin) ? reloads : refused)++;
    });
    auto began = std::chrono::steady_clock::now();
    Figures reloading = measure(channel(node.address, dir / "pki", 1), seconds, concurrency);
    stop = true;
    reloader.join();
    double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();

    std::printf("%-26s %10s %10s %10s %10s %8s\n", "phase", "calls", "QPS", "p50 us", "p99 us", "failed");
    std::printf("%-26s %10lu %10.0f %10.1f %10.1f %8lu\n", "steady (baseline)",
                static_cast<unsigned long>(steady.calls), steady.qps, steady.p50_us, steady.p99_us,
                static_cast<unsigned long>(steady.errors));
    std::printf("%-26s %10lu %10.0f %10.1f %10.1f %8lu\n", "reloading back to back",
                static_cast<unsigned long>(reloading.calls), reloading.qps, reloading.p50_us, reloading.p99_us,
                static_cast<unsigned long>(reloading.errors));
    std::printf(
        "reloads: %lu in %.1f s = %.1f per second (%lu refused); p99 during reloads / steady = %.2f "
        "(target <= 2.00), failed calls %lu (target 0)\n",
        static_cast<unsigned long>(reloads.load()), elapsed, reloads / elapsed,
        static_cast<unsigned long>(refused.load()), reloading.p99_us / steady.p99_us,
        static_cast<unsigned long>(reloading.errors));
    fs::remove_all(dir);
    return 0;
}

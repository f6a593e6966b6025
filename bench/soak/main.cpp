// Soak: mixed chat load on one all-in-one node for MINUTES (default 30): PEOPLE (default 8) connect, log in,
// send, read history, set and watch presence, type, look people up, and reconnect with resume, while the
// gateway is hot-reloaded once a minute. Prints, minute by minute and at the end: requests that should have
// succeeded and failed (goal 0), lanchatd's resident memory (growth after the warm-up, the first fifth of
// the run and at least 2 min: goal <= 5 %) and its open file descriptors (goal: flat).
//
// usage: soak LANCHATD LANCHATCTL PLUGIN_DIR [MINUTES] [PEOPLE]
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <thread>

#include "bench_support.hpp"
#include "soak_person.hpp"

namespace {

using namespace lanchat::bench;
using namespace lanchat::bench::soak;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

struct Sample {
    double minute = 0;
    double rss_mib = 0;
    int fds = 0;
};

double resident_mib(pid_t pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(status, line);) {
        if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024;
    }
    return 0;
}

int open_descriptors(pid_t pid) {
    int count = 0;
    for ([[maybe_unused]] const auto& entry : fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd")) ++count;
    return count;
}

// Every service of the all-in-one node; cheap password hashing, since people log in all the time here.
std::string node_file() {
    std::string text =
        "[node]\nname = \"soak\"\ndata_dir = \"data\"\n"
        "[mesh]\nlisten = \"127.0.0.1:0\"\npki_dir = \"pki\"\n"
        "[admin]\nlisten = \"127.0.0.1:0\"\n[client_edge]\nlisten = \"127.0.0.1:0\"\n";
    const std::pair<const char*, const char*> plugins[] = {
        {"audit", ""},
        {"identity", "argon2_memory_kib = 8192\nargon2_iterations = 1"},
        {"auth", ""},
        {"channel", ""},
        {"router", ""},
        {"presence", ""},
        // Everyone registers at the start from one address (loopback), as people behind one NAT would.
        {"gateway", "allow_registration = true\nregistration_burst = 1000"}};
    for (const auto& [name, config] : plugins) {
        text += "[[plugin]]\nname = \"" + std::string(name) + "\"\npath = \"PLUGINS/" + name + ".so\"\n";
        if (*config != '\0') text += "[plugin.config]\n" + std::string(config) + "\n";
    }
    return text;
}

double mean_rss(const std::vector<Sample>& samples, double from, double to) {
    double sum = 0;
    int count = 0;
    for (const Sample& sample : samples) {
        if (sample.minute >= from && sample.minute < to) sum += sample.rss_mib, ++count;
    }
    return count > 0 ? sum / count : 0;
}

void print_minute(const Sample& sample, const Tally& tally, uint64_t reloads) {
    std::printf("%6.1f %10.1f %6d %10lu %8lu %8lu %9lu %8lu\n", sample.minute, sample.rss_mib, sample.fds,
                static_cast<unsigned long>(tally.answered), static_cast<unsigned long>(tally.failed),
                static_cast<unsigned long>(tally.retried), static_cast<unsigned long>(tally.sessions),
                static_cast<unsigned long>(reloads));
    std::fflush(stdout);
}

}  // namespace

int run_soak(int argc, char** argv) {
    auto arguments = node_arguments(argc, argv, "usage: soak LANCHATD LANCHATCTL PLUGIN_DIR [MINUTES] [PEOPLE]\n");
    if (!arguments) return 2;
    const int minutes = arguments->number(0, 30);
    const int people_count = arguments->number(1, 8);
    const fs::path dir = scratch_directory("lanchat-soak");
    const std::string ctl = arguments->lanchatctl;
    run({ctl, "pki", "init", "--dir", (dir / "pki").string(), "--trust-domain", "lan-chat.soak"});
    run({ctl, "pki", "issue", "--dir", (dir / "pki").string(), "--node", "soak", "--service",
         "audit,identity,auth,channel,router,presence,gateway"});
    std::string file = node_file();
    for (size_t at; (at = file.find("PLUGINS")) != std::string::npos;) file.replace(at, 7, arguments->plugin);
    std::ofstream(dir / "node.toml") << file;

    Child node;
    std::string admin, clients;
    start(node, {arguments->lanchatd, (dir / "node.toml").string()}, "\"node ready\"", [&](const std::string& line) {
        admin = json_field(line, "admin");
        clients = json_field(line, "clients");  // https://host:port/
        return clients;
    });
    lanchat::client::Endpoint edge =
        lanchat::testing::edge_endpoint(clients.substr(8, clients.size() - 9), dir / "pki/ca.crt");

    Tally tally;
    std::vector<Person> people;
    for (int i = 0; i < people_count; ++i) people.emplace_back("soaker" + std::to_string(i), edge, tally, 1000 + i);
    const std::string channel = people[0].create("soak");
    for (size_t i = 1; i < people.size(); ++i) people[i].join(channel);

    std::printf("soak: %d people on one node for %d min, the gateway reloaded every minute\n", people_count, minutes);
    std::printf("%6s %10s %6s %10s %8s %8s %9s %8s\n", "minute", "rss MiB", "fds", "answered", "failed", "retried",
                "sessions", "reloads");
    const auto begin = Clock::now();
    const auto deadline = begin + std::chrono::minutes(minutes);
    std::vector<std::thread> threads;
    for (Person& person : people) threads.emplace_back([&] { person.run(deadline, 50ms); });

    std::vector<Sample> samples;
    uint64_t reloads = 0, reloads_failed = 0;
    auto next_reload = begin + 1min;
    while (Clock::now() < deadline) {
        std::this_thread::sleep_for(10s);
        const double minute = std::chrono::duration<double, std::ratio<60>>(Clock::now() - begin).count();
        samples.push_back({minute, resident_mib(node.pid), open_descriptors(node.pid)});
        if (samples.size() % 6 == 0) print_minute(samples.back(), tally, reloads);
        if (Clock::now() >= next_reload && Clock::now() < deadline) {
            next_reload += 1min;
            try {
                run({ctl, "--admin", admin, "reload", "gateway"});
                ++reloads;
            } catch (const std::exception& failed) {
                ++reloads_failed;
                std::fprintf(stderr, "%s\n", failed.what());
            }
        }
    }
    for (std::thread& thread : threads) thread.join();

    // The first gateway reload loads a second copy of the plugin next to the draining one, and the allocator
    // keeps that high-water mark: the warm-up ends after it (at 2 min at the least).
    const double warm_up = std::max(2.0, minutes / 5.0);
    const double baseline = mean_rss(samples, warm_up, warm_up + 1);
    const double end = mean_rss(samples, minutes - 1, minutes + 1);
    int fds_min = 1 << 30, fds_max = 0;
    for (const Sample& sample : samples) {
        if (sample.minute < warm_up) continue;
        fds_min = std::min(fds_min, sample.fds);
        fds_max = std::max(fds_max, sample.fds);
    }
    std::printf(
        "\nrequests answered: %lu; failed that should have succeeded: %lu (goal 0); retried while the "
        "gateway reloaded: %lu\n",
        static_cast<unsigned long>(tally.answered.load()), static_cast<unsigned long>(tally.failed.load()),
        static_cast<unsigned long>(tally.retried.load()));
    std::printf("sessions: %lu (%lu ended by a reload and resumed); gateway reloads: %lu ok, %lu failed\n",
                static_cast<unsigned long>(tally.sessions.load()), static_cast<unsigned long>(tally.cut.load()),
                static_cast<unsigned long>(reloads), static_cast<unsigned long>(reloads_failed));
    std::printf(
        "deliveries: %lu; sequences missing after a resume: %lu (goal 0); repeated: %lu (allowed around a "
        "reload)\n",
        static_cast<unsigned long>(tally.delivered.load()), static_cast<unsigned long>(tally.missing.load()),
        static_cast<unsigned long>(tally.repeated.load()));
    std::printf(
        "resident memory: %.1f MiB after the %.1f min warm-up, %.1f MiB in the last minute: %+.1f %% "
        "(goal <= 5 %%)\n",
        baseline, warm_up, end, baseline > 0 ? (end - baseline) * 100 / baseline : 0.0);
    std::printf("open descriptors after the warm-up: %d to %d (goal: flat)\n", fds_min, fds_max);
    std::error_code ignored;
    fs::remove_all(dir, ignored);
    return tally.failed == 0 && tally.missing == 0 && reloads_failed == 0 ? 0 : 1;
}

// A failure is reported, not left to std::terminate: the node's Child must be destroyed (and the node stopped),
// or the orphaned lanchatd keeps running, and keeps every descriptor it inherited open.
int main(int argc, char** argv) {
    try {
        return run_soak(argc, argv);
    } catch (const std::exception& error) {
        std::fprintf(stderr, "soak: %s\n", error.what());
        return 1;
    }
}

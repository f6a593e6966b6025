// The connection measurements: what it costs to open a connection, and to hold one.
#include <sys/resource.h>

#include <algorithm>
#include <iomanip>
#include <iostream>
#include <thread>

#include "measurements.hpp"
#include "process_usage.hpp"

namespace lanchat::bench::edge {

using namespace std::chrono_literals;

namespace {

// Drops `opened` and lets the loop run what closing them scheduled.
void close_all(Generator& generator, Connections& opened) {
    opened.clear();
    generator.io().restart();
    generator.io().poll();
}

// This process's CPU seconds so far: the generator's (its one thread does all the work).
double own_cpu_seconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    auto seconds = [](const timeval& time) { return static_cast<double>(time.tv_sec) + time.tv_usec / 1e6; };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// What one measured phase cost per connection on each side: which of the two bounds the rate.
struct Cost {
    double rate = 0;
    double server_ms = 0;     // the server's CPU per connection
    double generator_ms = 0;  // the generator's CPU per connection
};

template <class Phase>
Cost measure(const Target& target, int count, Phase&& phase) {
    const double server_before = cpu_seconds(target.pid), generator_before = own_cpu_seconds();
    Cost cost;
    cost.rate = phase();
    cost.server_ms = (cpu_seconds(target.pid) - server_before) * 1e3 / count;
    cost.generator_ms = (own_cpu_seconds() - generator_before) * 1e3 / count;
    return cost;
}

std::ostream& operator<<(std::ostream& out, const Cost& cost) {
    return out << cost.rate << "/s (CPU-ms each: server " << std::setprecision(2) << cost.server_ms << ", generator "
               << cost.generator_ms << std::setprecision(1) << ")";
}

}  // namespace

void measure_connection_setup(Generator& generator, const Targets& targets) {
    constexpr int kCount = 2000;
    std::cout << "connection setup (" << kCount << " connections, 32 at a time)\n";
    for (const Target* target : {&targets.lanchat, &targets.baseline}) {
        Connections opened;
        Cost setup = measure(*target, kCount, [&] {
            auto [connections, rate] = generator.open_many(*target, targets.auth_for(*target), kCount, 32);
            opened = std::move(connections);
            return rate;
        });
        close_all(generator, opened);
        Cost bare = measure(*target, kCount, [&] { return generator.handshakes(*target, kCount, 32); });
        std::cout << "  " << std::setw(8) << target->name << ": WebSocket/TLS + auth " << setup
                  << ", bare TLS handshakes " << bare << " (" << 100 * setup.rate / bare.rate << "%)\n";
    }
}

void measure_connections_held(Generator& generator, const Targets& targets, int idle) {
    std::cout << "\nconnections held (" << idle << " idle authenticated connections)\n";
    for (const Target* target : {&targets.lanchat, &targets.baseline}) {
        size_t before = resident_bytes(target->pid);
        auto [opened, rate] = generator.open_many(*target, targets.auth_for(*target), idle, 64);
        std::this_thread::sleep_for(1s);
        size_t after = resident_bytes(target->pid);
        double cpu_before = cpu_seconds(target->pid);
        std::this_thread::sleep_for(10s);
        double cpu_idle = (cpu_seconds(target->pid) - cpu_before) / 10 * 100;
        std::cout << "  " << std::setw(8) << target->name << ": " << opened.size() << " held, resident "
                  << (after - before) / 1024.0 / std::max<size_t>(1, opened.size()) << " KiB per connection ("
                  << before / 1048576.0 << " -> " << after / 1048576.0 << " MiB), CPU while idle " << cpu_idle << "%\n";
        close_all(generator, opened);
    }
}

}  // namespace lanchat::bench::edge

// The connection measurements: what it costs to open a connection, and to hold one.
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

}  // namespace

void measure_connection_setup(Generator& generator, const Targets& targets) {
    std::cout << "connection setup (2000 connections, 32 at a time)\n";
    for (const Target* target : {&targets.lanchat, &targets.baseline}) {
        auto [opened, rate] = generator.open_many(*target, targets.auth_for(*target), 2000, 32);
        close_all(generator, opened);
        double bare = generator.handshakes(*target, 2000, 32);
        std::cout << "  " << std::setw(8) << target->name << ": WebSocket/TLS + auth " << rate
                  << "/s, bare TLS handshakes " << bare << "/s (" << 100 * rate / bare << "%)\n";
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

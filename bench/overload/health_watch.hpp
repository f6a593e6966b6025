// HealthWatch: what the overload benchmark watches beside the sends: the admin endpoint's /health/ready,
// probed every 100 ms on a thread of its own, and the node's log lines saying a Discovery heartbeat failed.
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <thread>

#include "lanchat/url/url.hpp"

namespace lanchat::bench::overload {

struct HealthFigures {
    int probes = 0;
    int failed = 0;     // no answer within 1 s, or not 200
    double max_ms = 0;  // the slowest probe
    int discovery_failures = 0;
};

class HealthWatch {
public:
    ~HealthWatch() { stop(); }

    void start(url::HostPort admin);
    void stop();
    // Called with every line the node writes (from the thread draining its output).
    void log_line(const std::string& line);
    // The figures since the last reset().
    HealthFigures figures() const;
    void reset();

private:
    void probe_once();

    url::HostPort admin_;
    mutable std::mutex mutex_;
    HealthFigures figures_;
    std::atomic<bool> stopping_{false};
    std::thread prober_;
};

}  // namespace lanchat::bench::overload

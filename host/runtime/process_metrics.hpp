// What the process itself uses, read from /proc at scrape time: memory, file descriptors, sockets.
#pragma once

#include <chrono>

#include "host_fwd.hpp"

namespace lanchat::host {

struct ProcessUsage {
    double resident_bytes = 0;
    double open_fds = 0;
    double open_sockets = 0;  // the open fds that are sockets: listeners and connections
};

// This process's usage now, from /proc/self; a figure that cannot be read is 0.
ProcessUsage read_process_usage();

// Sets the process gauges of `metrics` (uptime since `started_at`, resident memory, open fds and sockets),
// registering them on first use.
void record_process_metrics(metrics::Registry& metrics, std::chrono::system_clock::time_point started_at);

}  // namespace lanchat::host

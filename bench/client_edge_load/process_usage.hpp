// What a server process costs, read from /proc: the figures of the connections-held measurement.
#pragma once

#include <sys/types.h>

#include <cstddef>

namespace lanchat::bench::edge {

size_t resident_bytes(pid_t pid);  // VmRSS; 0 when unreadable
double cpu_seconds(pid_t pid);     // user + system time so far

}  // namespace lanchat::bench::edge

#include "runtime/process_metrics.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "metrics/registry.hpp"

namespace lanchat::host {

ProcessUsage read_process_usage() {
    ProcessUsage usage;
    std::ifstream statm("/proc/self/statm");
    double pages = 0, resident_pages = 0;
    statm >> pages >> resident_pages;
    usage.resident_bytes = resident_pages * static_cast<double>(sysconf(_SC_PAGESIZE));
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", error)) {
        ++usage.open_fds;
        std::error_code ignored;
        if (std::filesystem::read_symlink(entry.path(), ignored).string().rfind("socket:", 0) == 0) {
            ++usage.open_sockets;
        }
    }
    return usage;
}

void record_process_metrics(metrics::Registry& metrics, std::chrono::system_clock::time_point started_at) {
    auto uptime = metrics.must(metrics::Kind::gauge, "lanchat_uptime_seconds", "Seconds since lanchatd started.", {});
    auto resident =
        metrics.must(metrics::Kind::gauge, "process_resident_memory_bytes", "Resident memory size in bytes.", {});
    auto fds = metrics.must(metrics::Kind::gauge, "process_open_fds", "Number of open file descriptors.", {});
    auto sockets = metrics.must(metrics::Kind::gauge, "lanchat_open_sockets",
                                "Open sockets: listeners and connections (gRPC, admin, clients).", {});
    uptime->set({}, std::chrono::duration<double>(std::chrono::system_clock::now() - started_at).count());
    ProcessUsage usage = read_process_usage();
    resident->set({}, usage.resident_bytes);
    fds->set({}, usage.open_fds);
    sockets->set({}, usage.open_sockets);
}

}  // namespace lanchat::host

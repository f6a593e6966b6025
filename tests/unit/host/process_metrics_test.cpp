#include "runtime/process_metrics.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>

#include "metrics/registry.hpp"

namespace lanchat::host {
namespace {

TEST(ProcessMetricsTest, ResidentMemoryIsReported) { EXPECT_GT(read_process_usage().resident_bytes, 0); }

TEST(ProcessMetricsTest, SocketsAreCountedAmongOpenFileDescriptors) {
    ProcessUsage before = read_process_usage();
    int pair[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
    std::ifstream file("/proc/self/statm");
    ProcessUsage during = read_process_usage();
    close(pair[0]);
    close(pair[1]);
    EXPECT_EQ(during.open_sockets, before.open_sockets + 2);
    EXPECT_EQ(during.open_fds, before.open_fds + 3);  // the two sockets and the file
}

TEST(ProcessMetricsTest, TheProcessGaugesAppearInTheExposition) {
    metrics::Registry registry;
    record_process_metrics(registry, std::chrono::system_clock::now() - std::chrono::seconds(5));
    std::string text = registry.exposition();
    for (const char* name :
         {"lanchat_uptime_seconds", "process_resident_memory_bytes", "process_open_fds", "lanchat_open_sockets"}) {
        EXPECT_NE(text.find(std::string("\n") + name + " "), std::string::npos) << name << " in\n" << text;
    }
}

}  // namespace
}  // namespace lanchat::host

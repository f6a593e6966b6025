#include "config/descriptor_limit.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>

namespace lanchat::host {
namespace {

NodeConfig edge_with(size_t max_connections) {
    NodeConfig config;
    config.file = "/etc/lanchat/node.toml";
    config.client_edge.emplace();
    config.client_edge->max_connections = max_connections;
    config.client_edge->max_connections_given = true;
    return config;
}

TEST(DescriptorLimitTest, MaxConnectionsWithinTheLimitLessTheReserveIsAccepted) {
    NodeConfig fits = edge_with(1000);
    EXPECT_TRUE(check_descriptor_room(fits, 1256).ok());
    NodeConfig no_edge;
    EXPECT_TRUE(check_descriptor_room(no_edge, 10).ok());  // no client edge, nothing to hold
}

TEST(DescriptorLimitTest, TheDefaultMaxConnectionsIsLoweredToWhatTheLimitHolds) {
    NodeConfig defaults = edge_with(20000);
    defaults.client_edge->max_connections_given = false;
    EXPECT_TRUE(check_descriptor_room(defaults, 1024).ok());
    EXPECT_EQ(defaults.client_edge->max_connections, 1024u - kDescriptorReserve);
}

TEST(DescriptorLimitTest, MaxConnectionsOverTheLimitIsRefusedNamingBothNumbers) {
    NodeConfig config = edge_with(50000);
    sdk::Status refused = check_descriptor_room(config, 20000);
    EXPECT_EQ(refused.code(), sdk::Code::failed_precondition);
    EXPECT_EQ(refused.message(),
              "/etc/lanchat/node.toml: [client_edge] max_connections = 50000 needs 50256 file descriptors (256 kept "
              "for the mesh, data files and the admin listener), but the limit (RLIMIT_NOFILE) is 20000: set "
              "max_connections to at most 19744 or raise the hard limit (ulimit -Hn, LimitNOFILE=)");
    NodeConfig tiny = edge_with(1);
    EXPECT_FALSE(check_descriptor_room(tiny, 100).ok());
}

TEST(DescriptorLimitTest, TheSoftLimitIsRaisedToTheHardOne) {
    size_t raised = raise_descriptor_limit();
    rlimit now{};
    ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &now), 0);
    EXPECT_EQ(now.rlim_cur, now.rlim_max);
    EXPECT_EQ(raised, now.rlim_cur);
}

}  // namespace
}  // namespace lanchat::host

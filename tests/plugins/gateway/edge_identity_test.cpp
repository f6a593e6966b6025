#include "edge_identity.hpp"

#include <gtest/gtest.h>

#include <string>

namespace lanchat::gateway {
namespace {

TEST(EdgeIdentityTest, EveryValidNodeNameGivesAnEdgeIdAndAGapReaderTheServicesAccept) {
    for (size_t length = 1; length <= 63; ++length) {  // the PKI's longest node name is 63 bytes
        const std::string node(length, 'n');
        EXPECT_TRUE(plugin_support::check_id("edge_id", edge_id_for(node)).ok()) << length << "-byte node name";
    }
    EXPECT_TRUE(plugin_support::check_id("actor.user_id", std::string(kEdgeReader)).ok());
}

TEST(EdgeIdentityTest, TheEdgeIdNamesItsNodeAndTwoNodesNeverShareOne) {
    EXPECT_EQ(edge_id_for("n1"), "gateway@n1");
    const std::string longest(63, 'a');
    EXPECT_EQ(edge_id_for(longest), longest);
    EXPECT_NE(edge_id_for(std::string(56, 'a')), edge_id_for(std::string(57, 'a')));
}

}  // namespace
}  // namespace lanchat::gateway

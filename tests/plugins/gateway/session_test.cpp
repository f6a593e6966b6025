#include "session.hpp"

#include <gtest/gtest.h>

namespace lanchat::gateway {
namespace {

TEST(SessionTest, TheLoginThrottlesSourceIsThePeersAddressWithoutItsPort) {
    EXPECT_EQ(address_of("192.168.1.20:51234"), "192.168.1.20");
    EXPECT_EQ(address_of("127.0.0.1:1"), "127.0.0.1");
    EXPECT_EQ(address_of("[fe80::1]:443"), "fe80::1");
    EXPECT_EQ(address_of("[::1]:5000"), "::1");
    EXPECT_EQ(address_of("::1"), "::1");  // no port to remove
    EXPECT_EQ(address_of("10.0.0.1"), "10.0.0.1");
    EXPECT_EQ(address_of(""), "");
}

}  // namespace
}  // namespace lanchat::gateway

#include "address_throttle.hpp"

#include <gtest/gtest.h>

namespace lanchat::gateway {
namespace {

TEST(ThrottleKeyTest, AnIpv6HostCountsByItsSlash64AndIpv4ByItsAddress) {
    EXPECT_EQ(throttle_key("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::/64");
    EXPECT_EQ(throttle_key("2001:db8:1:2::1"), "2001:db8:1:2::/64");
    EXPECT_EQ(throttle_key("2001:db8:1:3::1"), "2001:db8:1:3::/64");
    EXPECT_EQ(throttle_key("::ffff:10.0.0.7"), "10.0.0.7");
    EXPECT_EQ(throttle_key("10.0.0.7"), "10.0.0.7");
    EXPECT_EQ(throttle_key("not an address"), "not an address");
}

TEST(AddressThrottleTest, AddressesOfOneSlash64ShareABucketAndOtherPrefixesDoNot) {
    AddressThrottle throttle(1, 2);  // 1 a minute, 2 at once
    EXPECT_TRUE(throttle.try_take("2001:db8:1:2::1", 0));
    EXPECT_TRUE(throttle.try_take("2001:db8:1:2::2", 0));
    EXPECT_FALSE(throttle.try_take("2001:db8:1:2:ffff::3", 0));  // a fresh address of the same host
    EXPECT_TRUE(throttle.try_take("2001:db8:1:3::1", 0));
    EXPECT_TRUE(throttle.try_take("2001:db8:1:2::4", 60'000));  // a minute later: one more
}

TEST(AddressThrottleTest, ManyAddressesForgetTheLeastRecentlyUsedAndNeverLockOthersOut) {
    AddressThrottle throttle(1, 1, 3);
    EXPECT_TRUE(throttle.try_take("10.0.0.1", 0));
    EXPECT_TRUE(throttle.try_take("10.0.0.2", 0));
    EXPECT_TRUE(throttle.try_take("10.0.0.3", 0));
    EXPECT_FALSE(throttle.try_take("10.0.0.1", 1));  // used again: now the most recent
    for (int i = 10; i < 100; ++i) {
        EXPECT_TRUE(throttle.try_take("10.0.1." + std::to_string(i), 2)) << "a new address is never refused";
        EXPECT_LE(throttle.remembered(), 3u);
    }
}

TEST(AddressThrottleTest, TheMostRecentlyUsedAreKeptWhenTheOldestIsForgotten) {
    AddressThrottle throttle(1, 1, 2);
    EXPECT_TRUE(throttle.try_take("10.0.0.1", 0));
    EXPECT_TRUE(throttle.try_take("10.0.0.2", 0));
    EXPECT_FALSE(throttle.try_take("10.0.0.1", 1));  // 10.0.0.2 is the least recently used now
    EXPECT_TRUE(throttle.try_take("10.0.0.3", 2));   // forgets 10.0.0.2
    EXPECT_FALSE(throttle.try_take("10.0.0.1", 3));  // still remembered, still empty
}

}  // namespace
}  // namespace lanchat::gateway

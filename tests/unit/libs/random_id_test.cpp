#include "lanchat/ids/random_id.hpp"

#include <gtest/gtest.h>

#include <set>

namespace lanchat::ids {
namespace {

bool is_lower_hex(const std::string& text) { return text.find_first_not_of("0123456789abcdef") == std::string::npos; }

TEST(RandomIdTest, RandomHexHasTwoLowerCaseDigitsPerByte) {
    for (size_t bytes : {0u, 1u, 8u, 16u, 33u}) {
        std::string hex = random_hex(bytes);
        EXPECT_EQ(hex.size(), 2 * bytes);
        EXPECT_TRUE(is_lower_hex(hex)) << hex;
    }
}

TEST(RandomIdTest, TenThousandTraceIdsAreAllDifferent) {
    std::set<std::string> seen;
    for (int i = 0; i < 10000; ++i) seen.insert(random_hex(16));
    EXPECT_EQ(seen.size(), 10000u);
}

TEST(RandomIdTest, EveryHexDigitTurnsUp) {
    std::string many = random_hex(512);
    for (char digit : std::string("0123456789abcdef")) EXPECT_NE(many.find(digit), std::string::npos) << digit;
}

TEST(RandomIdTest, RandomIdIsThePrefixAndSixteenHexDigits) {
    std::string id = random_id("ch_");
    ASSERT_EQ(id.size(), 19u);
    EXPECT_EQ(id.substr(0, 3), "ch_");
    EXPECT_TRUE(is_lower_hex(id.substr(3))) << id;
    EXPECT_NE(random_id("ch_"), id);
}

TEST(RandomIdTest, ToHexEncodesEveryByteValue) {
    EXPECT_EQ(to_hex(std::string("\x00\x01\x7f\x80\xff", 5)), "00017f80ff");
    EXPECT_EQ(to_hex(""), "");
}

TEST(RandomIdTest, RandomBytesAreTheLengthAskedFor) {
    EXPECT_EQ(random_bytes(0).size(), 0u);
    EXPECT_EQ(random_bytes(64).size(), 64u);
    EXPECT_NE(random_bytes(16), random_bytes(16));
}

}  // namespace
}  // namespace lanchat::ids

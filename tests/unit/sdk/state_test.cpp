#include "lanchat/sdk/state.hpp"

#include <gtest/gtest.h>

namespace lanchat::sdk {
namespace {

TEST(StateTest, WhatTheWriterWritesTheReaderReadsBack) {
    std::string bytes = StateWriter(3).put_u64(1ull << 40).put_string("members").put_bool(true).put_u32(7).bytes();
    StateReader reader(bytes);
    EXPECT_EQ(*reader.version(), 3u);
    EXPECT_EQ(*reader.get_u64(), 1ull << 40);
    EXPECT_EQ(*reader.get_string(), "members");
    EXPECT_TRUE(*reader.get_bool());
    EXPECT_EQ(*reader.get_u32(), 7u);
    EXPECT_TRUE(reader.at_end());
}

TEST(StateTest, EmptyStateIsVersionZero) {
    StateReader reader("");
    EXPECT_EQ(*reader.version(), 0u);
}

TEST(StateTest, TruncatedStateIsRefusedWithWhereItEnded) {
    std::string bytes = StateWriter(1).put_string("abcdef").bytes();
    bytes.resize(bytes.size() - 2);
    StateReader reader(bytes);
    ASSERT_TRUE(reader.version().ok());
    EXPECT_EQ(reader.get_string().status().message(),
              "plugin state ends at byte 12 of 16 where a string of 6 bytes was expected");
    StateReader short_reader(std::string_view("\x01\x00", 2));
    EXPECT_EQ(short_reader.version().status().message(), "plugin state ends at byte 0 of 2 where a u32 was expected");
}

}  // namespace
}  // namespace lanchat::sdk

#include "history_reads.hpp"

#include <gtest/gtest.h>

namespace lanchat::gateway {
namespace {

std::vector<HistoryRead> reads_of(size_t count) {
    std::vector<HistoryRead> reads;
    for (size_t i = 0; i < count; ++i) reads.push_back({"c_" + std::to_string(i), 0, 100, 1, "bob", 1});
    return reads;
}

TEST(HistoryReadsTest, AtMostTheLimitRunAtOnceAndTheRestStartOldestFirstAsReadsFinish) {
    HistoryReads reads(2);
    auto started = reads.admit(reads_of(5));
    ASSERT_EQ(started.size(), 2u);
    EXPECT_EQ(started[1].channel_id, "c_1");
    EXPECT_EQ(reads.waiting(), 3u);
    EXPECT_TRUE(reads.admit(reads_of(1)).empty()) << "a later subscribe waits behind the earlier one";
    for (const char* expected : {"c_2", "c_3", "c_4", "c_0"}) {
        auto next = reads.finished();
        ASSERT_TRUE(next.has_value());
        EXPECT_EQ(next->channel_id, expected);
    }
    EXPECT_EQ(reads.in_flight(), 2u);
    EXPECT_FALSE(reads.finished().has_value());
    EXPECT_FALSE(reads.finished().has_value());
    EXPECT_EQ(reads.in_flight(), 0u);
    EXPECT_EQ(reads.admit(reads_of(1)).size(), 1u);
}

}  // namespace
}  // namespace lanchat::gateway

#include "history_reads.hpp"

#include <gtest/gtest.h>

#include <set>

namespace lanchat::gateway {
namespace {

std::vector<HistoryRead> reads_of(size_t count, sdk::ConnectionId reader = 1, uint64_t generation = 1) {
    std::vector<HistoryRead> reads;
    for (size_t i = 0; i < count; ++i)
        reads.push_back({"c_" + std::to_string(i), 0, 100, reader, "bob", generation, 0});
    return reads;
}

const HistoryReads::Wanted kAllWanted = [](const HistoryRead&) { return true; };

TEST(HistoryReadsTest, AtMostTheLimitRunAtOnceAndTheRestStartOldestFirstAsReadsFinish) {
    HistoryReads reads(2, 100, kAllWanted);
    auto started = reads.admit(reads_of(5)).start;
    ASSERT_EQ(started.size(), 2u);
    EXPECT_EQ(started[1].channel_id, "c_1");
    EXPECT_EQ(reads.waiting(), 3u);
    EXPECT_TRUE(reads.admit(reads_of(1)).start.empty()) << "a later read waits behind the earlier ones";
    for (const char* expected : {"c_2", "c_3", "c_4", "c_0"}) {
        auto next = reads.finished();
        ASSERT_TRUE(next.has_value());
        EXPECT_EQ(next->channel_id, expected);
    }
    EXPECT_EQ(reads.in_flight(), 2u);
    EXPECT_FALSE(reads.finished().has_value());
    EXPECT_FALSE(reads.finished().has_value());
    EXPECT_EQ(reads.in_flight(), 0u);
    EXPECT_EQ(reads.admit(reads_of(1)).start.size(), 1u);
}

TEST(HistoryReadsTest, AReadNoLongerWantedWhenItsTurnComesIsDroppedNotMade) {
    std::set<std::string> unwanted = {"c_1", "c_2"};
    HistoryReads reads(1, 100, [&](const HistoryRead& read) { return unwanted.count(read.channel_id) == 0; });
    ASSERT_EQ(reads.admit(reads_of(4)).start.size(), 1u);
    auto next = reads.finished();
    ASSERT_TRUE(next.has_value());
    EXPECT_EQ(next->channel_id, "c_3");
    EXPECT_EQ(reads.waiting(), 0u);
    EXPECT_FALSE(reads.finished().has_value());
    EXPECT_EQ(reads.in_flight(), 0u);
}

TEST(HistoryReadsTest, WhatWaitsIsBoundedPerReaderAndGoesWithItsSubscriptionOrItsConnection) {
    HistoryReads reads(1, 3, kAllWanted);
    ASSERT_EQ(reads.admit(reads_of(1, 9)).start.size(), 1u);  // the one in flight
    auto admitted = reads.admit(reads_of(5, 1, 1));
    EXPECT_EQ(admitted.refused.size(), 2u) << "a reader has at most 3 waiting";
    EXPECT_EQ(reads.waiting(), 3u);
    admitted = reads.admit(reads_of(2, 1, 2));  // it subscribed again: the earlier subscription's reads go
    EXPECT_TRUE(admitted.refused.empty());
    EXPECT_EQ(reads.waiting(), 2u);
    reads.admit(reads_of(2, 2, 1));
    EXPECT_EQ(reads.waiting(), 4u);
    reads.forget(1);  // closed
    EXPECT_EQ(reads.waiting(), 2u);
    for (int i = 0; i < 2; ++i) EXPECT_EQ(reads.finished()->reader, 2u);
    EXPECT_FALSE(reads.finished().has_value());
}

TEST(HistoryReadsTest, ReadersTakeTurnsSoOneReadersManyReadsDoNotHoldBackAnother) {
    HistoryReads reads(1, 100, kAllWanted);
    reads.admit(reads_of(1, 9));
    reads.admit(reads_of(3, 1));
    reads.admit(reads_of(2, 2));
    std::vector<sdk::ConnectionId> order;
    while (auto next = reads.finished()) order.push_back(next->reader);
    EXPECT_EQ(order, (std::vector<sdk::ConnectionId>{1, 2, 1, 2, 1}));
}

}  // namespace
}  // namespace lanchat::gateway

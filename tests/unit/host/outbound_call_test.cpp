#include "mesh/outbound_call.hpp"

#include <gtest/gtest.h>

namespace lanchat::host::mesh {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::system_clock;

constexpr auto kNodeDefault = 2000ms;

uint64_t unix_ms(Clock::time_point when) {
    return static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(when.time_since_epoch()).count());
}

bool is_hex(const std::string& text) { return text.find_first_not_of("0123456789abcdef") == std::string::npos; }

TEST(DeadlineTest, AUnaryCallWithoutATimeoutGetsTheNodesDefault) {
    auto before = Clock::now();
    auto deadline = deadline_of(OutboundCall{}, kNodeDefault);
    EXPECT_GE(deadline, before + kNodeDefault);
    EXPECT_LE(deadline, Clock::now() + kNodeDefault);
}

TEST(DeadlineTest, TheCallersTimeoutReplacesTheDefault) {
    OutboundCall call;
    call.timeout = 50ms;
    auto before = Clock::now();
    auto deadline = deadline_of(call, kNodeDefault);
    EXPECT_GE(deadline, before + 50ms);
    EXPECT_LE(deadline, Clock::now() + 50ms);
}

TEST(DeadlineTest, AStreamWithoutATimeoutHasNoDeadline) {
    EXPECT_EQ(deadline_of(OutboundCall{}, kNodeDefault, true), Clock::time_point::max());
}

TEST(DeadlineTest, AnEarlierInheritedDeadlineWins) {
    OutboundCall call;
    call.timeout = 5000ms;
    call.lineage.deadline_unix_ms = unix_ms(Clock::now() + 100ms);
    Clock::time_point inherited{std::chrono::milliseconds(call.lineage.deadline_unix_ms)};
    EXPECT_EQ(deadline_of(call, kNodeDefault), inherited);
    EXPECT_EQ(deadline_of(call, kNodeDefault, true), inherited);
}

TEST(DeadlineTest, AStreamInheritsItsCallersDeadline) {
    OutboundCall call;
    call.lineage.deadline_unix_ms = unix_ms(Clock::now() + 60s);
    EXPECT_EQ(deadline_of(call, kNodeDefault, true),
              Clock::time_point{std::chrono::milliseconds(call.lineage.deadline_unix_ms)});
}

TEST(DeadlineTest, ALaterInheritedDeadlineDoesNotLengthenTheCall) {
    OutboundCall call;
    call.timeout = 50ms;
    call.lineage.deadline_unix_ms = unix_ms(Clock::now() + 60s);
    auto deadline = deadline_of(call, kNodeDefault);
    EXPECT_LE(deadline, Clock::now() + 50ms);
}

TEST(LineageTest, TheFirstHopStartsACorrelationIdAndATrace) {
    OutboundCall call;
    begin_lineage(call);
    EXPECT_EQ(call.lineage.correlation_id.size(), 16u);
    EXPECT_EQ(call.lineage.trace_id.size(), 32u);
    EXPECT_TRUE(is_hex(call.lineage.correlation_id));
    EXPECT_TRUE(is_hex(call.lineage.trace_id));
}

TEST(LineageTest, AnInheritedLineageIsCarriedOn) {
    OutboundCall call;
    call.lineage.correlation_id = "req-42";
    call.lineage.trace_id = std::string(32, 'a');
    begin_lineage(call);
    EXPECT_EQ(call.lineage.correlation_id, "req-42");
    EXPECT_EQ(call.lineage.trace_id, std::string(32, 'a'));
}

TEST(LineageTest, AMalformedTraceIdIsReplaced) {
    OutboundCall call;
    call.lineage.correlation_id = "req-42";
    call.lineage.trace_id = "abc";
    begin_lineage(call);
    EXPECT_EQ(call.lineage.correlation_id, "req-42");
    EXPECT_EQ(call.lineage.trace_id.size(), 32u);
}

}  // namespace
}  // namespace lanchat::host::mesh

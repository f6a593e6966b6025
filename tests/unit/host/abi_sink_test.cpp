// The sink and slice helpers every host table uses at the boundary (host/abi/; the sink is the SDK's).
#include "abi/sink.hpp"

#include <gtest/gtest.h>

#include "abi/slice.hpp"

namespace lanchat::host::abi {
namespace {

TEST(AbiSinkTest, AStringSinkAppendsEveryWriteInOrder) {
    StringSink sink;
    write_to(sink.get(), "no such ");
    write_to(sink.get(), "");
    write_to(sink.get(), "method");
    EXPECT_EQ(sink.text(), "no such method");
    EXPECT_EQ(sink.get()->struct_size, sizeof(lanchat_sink));
}

TEST(AbiSinkTest, WritingSkipsANullSinkAndASinkWithoutAWriteFunction) {
    write_to(nullptr, "dropped");
    lanchat_sink without_write{sizeof(lanchat_sink), nullptr, nullptr};
    write_to(&without_write, "dropped");
    SUCCEED();  // neither call may touch memory it was not given
}

TEST(AbiSinkTest, ASliceWithANullPointerReadsAsEmptyWhateverItsSize) {
    EXPECT_TRUE(view(lanchat_str{nullptr, 12}).empty());
    EXPECT_TRUE(view(lanchat_bytes{nullptr, 3}).empty());
    EXPECT_EQ(view(to_str("audit")), "audit");
    EXPECT_EQ(view(to_bytes(std::string_view("\0\1", 2))), std::string_view("\0\1", 2));
}

}  // namespace
}  // namespace lanchat::host::abi

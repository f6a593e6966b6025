#include "logging/log.hpp"

#include <gtest/gtest.h>

#include "logging/json_string.hpp"

namespace lanchat::host {
namespace {

TEST(LogTest, JsonStringsEscapeQuotesBackslashesAndControlCharacters) {
    std::string out;
    json::append_json_string(out, "a\"b\\c\nd\te\x01");
    EXPECT_EQ(out, R"("a\"b\\c\nd\te\u0001")");
}

TEST(LogTest, LevelAndFormatNamesParse) {
    lanchat_log_level level{};
    EXPECT_TRUE(parse_log_level("warn", level));
    EXPECT_EQ(level, LANCHAT_LOG_WARN);
    EXPECT_FALSE(parse_log_level("verbose", level));
    LogFormat format{};
    EXPECT_TRUE(parse_log_format("text", format));
    EXPECT_EQ(format, LogFormat::text);
    EXPECT_FALSE(parse_log_format("yaml", format));
}

TEST(LogTest, LinesBelowTheMinimumLevelAreNotEnabled) {
    NodeLog log(LogFormat::json, LANCHAT_LOG_WARN);
    EXPECT_FALSE(log.enabled(LANCHAT_LOG_INFO));
    EXPECT_TRUE(log.enabled(LANCHAT_LOG_ERROR));
}

}  // namespace
}  // namespace lanchat::host

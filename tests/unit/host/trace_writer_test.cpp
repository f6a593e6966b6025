#include "observability/trace_writer.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "otlp_spans.hpp"
#include "temp_dir.hpp"

namespace lanchat::host {
namespace {

using lanchat::testing::otlp_spans;

std::string read_all(const std::filesystem::path& file) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

Span failed_client_span() {
    Span span;
    span.trace_id = "0af7651916cd43dd8448eb211c80319c";
    span.span_id = "b7ad6b7169203331";
    span.parent_span_id = "00f067aa0ba902b7";
    span.name = "/lanchat.channel.v1.Channel/Append";
    span.kind = SpanKind::client;
    span.plugin = "router";
    span.peer = "channel";
    span.correlation_id = "c0ffee";
    span.start_unix_us = 1'700'000'000'123'456;
    span.duration_us = 1500;
    span.code = LANCHAT_UNAVAILABLE;
    return span;
}

TEST(TraceWriterTest, ASpanIsOneOtlpJsonRequestWithRpcAttributes) {
    lanchat::testing::TempDir dir;
    {
        TraceWriter writer(dir.path() / "traces.jsonl", "node-1", 1 << 20);
        ASSERT_TRUE(writer.ok());
        writer.write(failed_client_span());
    }
    std::string text = read_all(dir.path() / "traces.jsonl");
    auto request = nlohmann::json::parse(text);
    const auto& span = request["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
    EXPECT_EQ(span["startTimeUnixNano"], "1700000000123456000");
    EXPECT_EQ(span["endTimeUnixNano"], "1700000000124956000");
    EXPECT_EQ(request["resourceSpans"][0]["scopeSpans"][0]["scope"]["name"], "lanchatd");

    auto spans = otlp_spans(text);
    ASSERT_EQ(spans.size(), 1u);
    EXPECT_EQ(spans[0].trace_id, "0af7651916cd43dd8448eb211c80319c");
    EXPECT_EQ(spans[0].parent_span_id, "00f067aa0ba902b7");
    EXPECT_EQ(spans[0].name, "lanchat.channel.v1.Channel/Append");
    EXPECT_EQ(spans[0].kind, "client");
    EXPECT_EQ(spans[0].plugin, "router");
    EXPECT_EQ(spans[0].node, "node-1");
    EXPECT_EQ(spans[0].attributes["rpc.service"], "lanchat.channel.v1.Channel");
    EXPECT_EQ(spans[0].attributes["rpc.method"], "Append");
    EXPECT_EQ(spans[0].attributes["rpc.grpc.status_code"], 14);
    EXPECT_EQ(spans[0].attributes["peer.service"], "channel");
    EXPECT_EQ(spans[0].status_code, 2);
    EXPECT_EQ(spans[0].status_message, "UNAVAILABLE");
}

TEST(TraceWriterTest, PastItsSizeTheFileRotatesAndNoSpanIsCutOrLost) {
    lanchat::testing::TempDir dir;
    const auto file = dir.path() / "traces.jsonl";
    const uint64_t max_bytes = 64 * 1024;
    {
        TraceWriter writer(file, "node-1", max_bytes);
        for (int i = 0; i < 400; ++i) writer.write(failed_client_span());
    }
    ASSERT_TRUE(std::filesystem::exists(file.string() + ".1"));
    EXPECT_LE(std::filesystem::file_size(file), max_bytes);
    EXPECT_LE(std::filesystem::file_size(file.string() + ".1"), max_bytes);
    // Every span is the same size here: the rotated file holds as many whole lines as fit, each parses.
    std::string rotated = read_all(file.string() + ".1");
    const size_t line_bytes = rotated.find('\n') + 1;
    const size_t per_file = max_bytes / line_bytes;
    EXPECT_EQ(otlp_spans(rotated).size(), per_file);
    EXPECT_EQ(rotated.size(), per_file * line_bytes);
    const size_t rotations = (400 + per_file - 1) / per_file - 1;
    EXPECT_EQ(otlp_spans(read_all(file)).size(), 400 - rotations * per_file);
}

TEST(TraceWriterTest, TheFileIsTheNodeUsersAloneWhateverTheUmask) {
    lanchat::testing::TempDir dir;
    mode_t previous = ::umask(0);
    { TraceWriter writer(dir.path() / "traces.jsonl", "node-1", 1 << 20); }
    ::umask(previous);
    struct stat info {};
    ASSERT_EQ(::stat((dir.path() / "traces.jsonl").c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0600);
}

}  // namespace
}  // namespace lanchat::host

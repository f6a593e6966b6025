#include "metrics/registry.hpp"

#include <gtest/gtest.h>

#include <map>

namespace lanchat::host::metrics {
namespace {

TEST(MetricsTest, LabelValuesAndHelpAreEscaped) {
    Registry registry;
    auto family = registry.must(Kind::counter, "requests_total", "Requests \\ with\nnewline.", {"path"});
    family->add({"a\"b\\c\nd"}, 2);
    std::string text = registry.exposition();
    EXPECT_NE(text.find("# HELP requests_total Requests \\\\ with\\nnewline.\n"), std::string::npos) << text;
    EXPECT_NE(text.find("requests_total{path=\"a\\\"b\\\\c\\nd\"} 2\n"), std::string::npos) << text;
}

TEST(MetricsTest, SeriesAreBoundedAndTheOverflowIsCounted) {
    Registry registry;
    auto family = registry.must(Kind::counter, "by_user_total", "Unbounded input.", {"user"});
    for (size_t i = 0; i < kMaxSeriesPerFamily + 10; ++i) family->add({"user-" + std::to_string(i)}, 1);
    EXPECT_EQ(family->value({"other"}), 10);
    EXPECT_EQ(family->overflowed(), 10u);
    EXPECT_NE(registry.exposition().find("lanchat_metrics_series_overflow_total 10\n"), std::string::npos);
}

TEST(MetricsTest, HistogramsAreCumulativeWithSumAndCount) {
    Registry registry;
    auto family = registry.must(Kind::histogram, "latency_seconds", "Latency.", {}, {0.1, 1});
    family->observe({}, 0.05);
    family->observe({}, 0.5);
    family->observe({}, 5);
    std::string text = registry.exposition();
    EXPECT_NE(text.find("latency_seconds_bucket{le=\"0.1\"} 1\n"), std::string::npos) << text;
    EXPECT_NE(text.find("latency_seconds_bucket{le=\"1\"} 2\n"), std::string::npos);
    EXPECT_NE(text.find("latency_seconds_bucket{le=\"+Inf\"} 3\n"), std::string::npos);
    EXPECT_NE(text.find("latency_seconds_sum 5.55\n"), std::string::npos);
    EXPECT_NE(text.find("latency_seconds_count 3\n"), std::string::npos);
}

TEST(MetricsTest, SamplesAreTheExposedSeriesAsValuesAfterTheCollectorsRan) {
    Registry registry;
    auto requests = registry.must(Kind::counter, "requests_total", "Requests.", {"service", "code"});
    requests->add({"audit", "OK"}, 3);
    auto latency = registry.must(Kind::histogram, "latency_seconds", "Latency.", {}, {0.1});
    latency->observe({}, 0.05);
    latency->observe({}, 0.5);
    auto uptime = registry.must(Kind::gauge, "uptime_seconds", "Uptime.", {});
    registry.on_collect([&uptime] { uptime->set({}, 42); });

    std::map<std::string, double> by_series;
    for (const Sample& sample : registry.samples()) {
        std::string key = sample.name;
        for (const auto& [name, value] : sample.labels) key += " " + name + "=" + value;
        by_series[key] = sample.value;
    }
    EXPECT_EQ(by_series["requests_total service=audit code=OK"], 3);
    EXPECT_EQ(by_series["latency_seconds_bucket le=0.1"], 1);
    EXPECT_EQ(by_series["latency_seconds_bucket le=+Inf"], 2);
    EXPECT_EQ(by_series["latency_seconds_sum"], 0.55);
    EXPECT_EQ(by_series["latency_seconds_count"], 2);
    EXPECT_EQ(by_series["uptime_seconds"], 42);
    EXPECT_EQ(by_series.count("lanchat_metrics_series_overflow_total"), 1u);
    EXPECT_EQ(by_series.size(), 7u);
}

TEST(MetricsTest, MalformedOrClashingDeclarationsAreRefused) {
    Registry registry;
    EXPECT_EQ(registry.family(Kind::counter, "9lives", "", {}).status().message(),
              "metric name '9lives' is not valid: use [a-zA-Z_:][a-zA-Z0-9_:]*");
    EXPECT_FALSE(registry.family(Kind::counter, "ok_total", "", {"__reserved"}).ok());
    EXPECT_FALSE(registry.family(Kind::histogram, "h", "", {"le"}).ok());
    ASSERT_TRUE(registry.family(Kind::counter, "taken_total", "", {"a"}).ok());
    EXPECT_EQ(registry.family(Kind::gauge, "taken_total", "", {"a"}).status().code(), sdk::Code::already_exists);
    EXPECT_FALSE(registry.family(Kind::counter, "taken_total", "", {"a"}, {}, "some-plugin").ok());
}

TEST(MetricsTest, APluginsFamiliesLeaveWithIt) {
    Registry registry;
    ASSERT_TRUE(registry.family(Kind::gauge, "lanchat_probe_started", "", {}, {}, "probe").ok());
    EXPECT_NE(registry.exposition().find("lanchat_probe_started"), std::string::npos);
    registry.remove_owner("probe");
    EXPECT_EQ(registry.exposition().find("lanchat_probe_started"), std::string::npos);
}

}  // namespace
}  // namespace lanchat::host::metrics

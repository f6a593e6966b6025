#include "runtime/reconcile.hpp"

#include <gtest/gtest.h>

#include <string_view>

#include "config/plugin_config.hpp"
#include "temp_dir.hpp"

namespace lanchat::host {
namespace {

using lanchat::testing::TempDir;

const std::filesystem::file_time_type kBuilt{std::chrono::hours(1)};
const std::filesystem::file_time_type kRebuilt{std::chrono::hours(2)};

// Plans are read as "action name" lines, in the order of the plan.
std::vector<std::string> lines_of(const std::vector<ReconcileStep>& plan) {
    std::vector<std::string> lines;
    for (const ReconcileStep& step : plan)
        lines.push_back(std::string(action_name(step.action)) + " " + step.spec.name);
    return lines;
}

class ReconcileTest : public ::testing::Test {
protected:
    // The [[plugin]] entries of a node file whose plugin part is `entries`, each with its file built at `time`.
    std::vector<PluginRevision> node_file(const std::string& entries, std::filesystem::file_time_type time = kBuilt) {
        auto config = load_node_config(
            dir_.write("node" + std::to_string(++files_) + ".toml", "[node]\nname = \"n1\"\n" + entries), "/plugins");
        EXPECT_TRUE(config.ok()) << config.status().message();
        std::vector<PluginRevision> revisions;
        if (!config.ok()) return revisions;
        for (const PluginSpec& spec : config->plugins) revisions.push_back({spec, time});
        return revisions;
    }

    TempDir dir_;
    int files_ = 0;
};

const std::string kAudit = "[[plugin]]\nname = \"audit\"\npath = \"audit.so\"\ncore = true\n";
const std::string kEcho = "[[plugin]]\nname = \"echo\"\npath = \"echo.so\"\n[plugin.config]\ngreeting = \"hi\"\n";
const std::string kEchoHello =
    "[[plugin]]\nname = \"echo\"\npath = \"echo.so\"\n[plugin.config]\ngreeting = \"hello\"\n";
const std::string kEchoMoved =
    "[[plugin]]\nname = \"echo\"\npath = \"v2/echo.so\"\n[plugin.config]\ngreeting = \"hi\"\n";
const std::string kRouter = "[[plugin]]\nname = \"router\"\npath = \"router.so\"\n";

TEST_F(ReconcileTest, AnUnchangedNodeFileKeepsEveryPlugin) {
    auto plan = reconcile(node_file(kAudit + kEcho), node_file(kAudit + kEcho));
    EXPECT_EQ(lines_of(plan), (std::vector<std::string>{"keep audit", "keep echo"}));
}

TEST_F(ReconcileTest, ANewEntryIsAddedWithItsSpec) {
    auto plan = reconcile(node_file(kEcho), node_file(kEcho + kRouter));
    EXPECT_EQ(lines_of(plan), (std::vector<std::string>{"keep echo", "add router"}));
    EXPECT_EQ(plan[1].spec.path, "/plugins/router.so");
}

TEST_F(ReconcileTest, AnEntryGoneFromTheFileIsRemoved) {
    auto plan = reconcile(node_file(kEcho + kRouter), node_file(kEcho));
    EXPECT_EQ(lines_of(plan), (std::vector<std::string>{"keep echo", "remove router"}));
}

TEST_F(ReconcileTest, AChangedConfigReloadsWithTheNewEntry) {
    auto plan = reconcile(node_file(kEcho), node_file(kEchoHello));
    ASSERT_EQ(lines_of(plan), (std::vector<std::string>{"reload echo"}));
    lanchat_str greeting = plan[0].spec.config->get("greeting").string_value;
    EXPECT_EQ(std::string_view(greeting.data, greeting.size), "hello");
}

TEST_F(ReconcileTest, AChangedPathReloads) {
    auto plan = reconcile(node_file(kEcho), node_file(kEchoMoved));
    ASSERT_EQ(lines_of(plan), (std::vector<std::string>{"reload echo"}));
    EXPECT_EQ(plan[0].spec.path, "/plugins/v2/echo.so");
}

TEST_F(ReconcileTest, ANewBuildOfTheSameFileReloads) {
    auto plan = reconcile(node_file(kEcho, kBuilt), node_file(kEcho, kRebuilt));
    EXPECT_EQ(lines_of(plan), (std::vector<std::string>{"reload echo"}));
}

TEST_F(ReconcileTest, AChangedCorePluginIsRefusedNotReloaded) {
    auto plan = reconcile(node_file(kAudit, kBuilt), node_file(kAudit, kRebuilt));
    ASSERT_EQ(lines_of(plan), (std::vector<std::string>{"refuse_core audit"}));
    EXPECT_EQ(plan[0].reason, "core plugins never reload; restart the node to apply");
}

TEST_F(ReconcileTest, ARebuiltPluginNowMarkedCoreIsRefusedUntilARestart) {
    auto plan = reconcile(node_file(kRouter, kBuilt), node_file(kRouter + "core = true\n", kRebuilt));
    EXPECT_EQ(lines_of(plan), (std::vector<std::string>{"refuse_core router"}));
}

TEST_F(ReconcileTest, MarkingAPluginCoreAloneChangesNothingThatRuns) {
    auto plan = reconcile(node_file(kRouter), node_file(kRouter + "core = true\n"));
    EXPECT_EQ(lines_of(plan), (std::vector<std::string>{"keep router"}));
}

TEST_F(ReconcileTest, ACorePluginGoneFromTheFileIsRefusedNotRemoved) {
    auto plan = reconcile(node_file(kAudit + kEcho), node_file(kEcho));
    ASSERT_EQ(lines_of(plan), (std::vector<std::string>{"keep echo", "refuse_core audit"}));
    EXPECT_EQ(plan[1].reason, "core plugins are never removed while running; restart the node");
}

TEST_F(ReconcileTest, StepsFollowTheNewFileThenTheRunningOrderForRemovals) {
    auto plan =
        reconcile(node_file(kRouter + kAudit + kEcho), node_file(kEchoHello + "[[plugin]]\nname = \"presence\"\n"
                                                                              "path = \"presence.so\"\n"));
    EXPECT_EQ(lines_of(plan),
              (std::vector<std::string>{"reload echo", "add presence", "remove router", "refuse_core audit"}));
}

}  // namespace
}  // namespace lanchat::host

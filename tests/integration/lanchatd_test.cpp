// lanchatd as operators run it: a real process, a real node file, real plugin files.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "build_paths.hpp"
#include "child_process.hpp"
#include "lanchat/plugin_abi.h"
#include "postgres_server.hpp"
#include "temp_dir.hpp"

namespace lanchat {
namespace {

using namespace lanchat::testing;
using nlohmann::json;
namespace fs = std::filesystem;

constexpr int kExitFailed = 1;
constexpr int kExitBadConfig = 2;

std::string read_text(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// Parses every line as a JSON log record; fails the test on a line that is not one.
std::vector<json> records(const std::vector<std::string>& lines) {
    std::vector<json> parsed;
    for (const std::string& line : lines) {
        json record = json::parse(line, nullptr, false);
        EXPECT_FALSE(record.is_discarded()) << "not a JSON log line: " << line;
        if (record.is_discarded()) continue;
        for (const char* key : {"time", "level", "node", "message"}) {
            EXPECT_TRUE(record.contains(key)) << "log line without '" << key << "': " << line;
        }
        parsed.push_back(std::move(record));
    }
    return parsed;
}

// Index of the first record with `message` (and `plugin`, when given), or -1.
int find(const std::vector<json>& logs, const std::string& message, const std::string& plugin = "") {
    for (size_t i = 0; i < logs.size(); ++i) {
        if (logs[i].value("message", "") != message) continue;
        if (!plugin.empty() && logs[i].value("plugin", "") != plugin &&
            logs[i]["fields"].value("plugin", "") != plugin) {
            continue;
        }
        return static_cast<int>(i);
    }
    return -1;
}

std::string plugin_entry(const std::string& name, const fs::path& path, const std::string& config = "") {
    return "[[plugin]]\nname = \"" + name + "\"\npath = \"" + path.string() + "\"\n" +
           (config.empty() ? "" : "[plugin.config]\n" + config + "\n");
}

// A PKI in `dir` as `lanchatctl pki` makes it, with a certificate for node `node`.
void make_pki(const fs::path& dir, const std::string& node) {
    ASSERT_EQ(
        run_to_exit({kLanchatctl, "pki", "init", "--dir", dir.string(), "--trust-domain", "lan-chat.local"}).exit_code,
        0);
    ASSERT_EQ(run_to_exit({kLanchatctl, "pki", "issue", "--dir", dir.string(), "--node", node, "--service", "audit"})
                  .exit_code,
              0);
}

// `text` with each FILE placeholder replaced by the node file's path, which a case cannot know beforehand.
std::string with_file(std::string text, const fs::path& file) {
    for (size_t at; (at = text.find("FILE")) != std::string::npos;) text.replace(at, 4, file.string());
    return text;
}

// Replaces the value of the first line starting with `key = ` in `text`.
void set_line(std::string& text, const std::string& key, const std::string& value) {
    size_t at = text.find("\n" + key + " = ");
    if (at != std::string::npos) text.replace(at + 1, text.find('\n', at + 1) - at - 1, key + " = " + value);
}

// Every `postgres_dsn = ...` line of a node file names `dsn` instead.
void set_every_dsn(std::string& text, const std::string& dsn) {
    const std::string key = "\npostgres_dsn = ";
    for (size_t at = text.find(key); at != std::string::npos; at = text.find(key, at + 1)) {
        text.replace(at + 1, text.find('\n', at + 1) - at - 1, "postgres_dsn = \"" + dsn + "\"");
    }
}

class LanchatdTest : public ::testing::Test {
protected:
    // A node file: [node] with `settings`, then `plugins` starting on line 5.
    fs::path node_file(const std::string& plugins, const std::string& settings = "drain_timeout_ms = 5000") {
        return dir_.write("node.toml",
                          "[node]\nname = \"test-node\"\ndata_dir = \"data\"\n" + settings + "\n" + plugins);
    }

    // Runs lanchatd on `file` until it logs `line` and stops it with SIGTERM: its log records and its output.
    // A node that never logs the line, or does not exit 0 within `timeout`, fails the test (and has no records).
    std::pair<std::vector<json>, std::string> run_until_sigterm(
        const fs::path& file, const std::string& line, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
        ChildProcess node({kLanchatd, file.string()});
        // As start_node(): under a sanitizer, beside a full parallel run, seven plugins can take 20 s to start.
        if (!node.wait_for_line(line, std::chrono::seconds(60))) {
            ADD_FAILURE() << "never logged " << line << ":\n" << node.output();
            return {{}, node.output()};
        }
        node.send_signal(SIGTERM);
        std::optional<int> exit_code = node.wait_exit(timeout);
        EXPECT_EQ(exit_code, 0) << node.output();
        return {exit_code == 0 ? records(node.lines()) : std::vector<json>{}, node.output()};
    }

    // Runs a node file that must fail; returns its output lines.
    Completed run_failing(const fs::path& file) { return run_to_exit({kLanchatd, file.string()}); }

    // The message of the last error record of a failed run.
    static std::string error_message(const Completed& run) {
        std::vector<json> logs = records(run.lines);
        for (auto it = logs.rbegin(); it != logs.rend(); ++it) {
            if (it->value("level", "") == "error") return it->value("message", "");
        }
        return "(no error line in: " + run.output + ")";
    }

    TempDir dir_;
};

TEST_F(LanchatdTest, AllInOneStartsLogsJsonAndStopsCleanlyOnSigterm) {
    // A copy keeps the file's relative paths ("../var/...") inside the test's directory; the PKI is made as
    // scripts/run-node.sh makes it, and the fixed port becomes a free one.
    fs::create_directories(dir_.path() / "config");
    std::string text = read_text(kSourceDir / "config" / "all-in-one.toml");
    for (const char* fixed : {"127.0.0.1:7443", "127.0.0.1:9464", "127.0.0.1:8443"}) {
        size_t port = text.find(fixed);
        ASSERT_NE(port, std::string::npos);
        text.replace(port, 14, "127.0.0.1:0");
    }
    fs::path file = dir_.write("config/all-in-one.toml", text);
    fs::path pki = dir_.path() / "var" / "pki";
    ASSERT_EQ(
        run_to_exit({kLanchatctl, "pki", "init", "--dir", pki.string(), "--trust-domain", "lan-chat.local"}).exit_code,
        0);
    ASSERT_EQ(run_to_exit({kLanchatctl, "pki", "issue", "--dir", pki.string(), "--node", "all-in-one", "--service",
                           "auth,identity,router,channel,presence,audit,discovery,gateway"})
                  .exit_code,
              0);

    auto [logs, output] = run_until_sigterm(file, "\"node ready\"");
    int ready = find(logs, "node ready");
    ASSERT_GE(ready, 0);
    EXPECT_EQ(logs[ready]["node"], "all-in-one");
    EXPECT_EQ(logs[ready]["fields"]["data_dir"], (dir_.path() / "var" / "all-in-one").string());
    EXPECT_EQ(logs[ready]["fields"]["pki"], pki.string());
    EXPECT_EQ(logs[ready]["fields"]["grpc"].get<std::string>().rfind("127.0.0.1:", 0), 0u);
    EXPECT_EQ(logs[ready]["fields"]["plugins"], "8");
    EXPECT_EQ(logs[ready]["fields"]["admin"].get<std::string>().rfind("http://127.0.0.1:", 0), 0u);
    EXPECT_EQ(logs[ready]["fields"]["clients"].get<std::string>().rfind("https://127.0.0.1:", 0), 0u);
    for (const char* plugin : {"audit", "identity", "auth", "channel", "router", "presence", "discovery", "gateway"}) {
        EXPECT_GE(find(logs, "plugin started", plugin), 0) << plugin;
    }
    EXPECT_GE(find(logs, "node stopped"), 0);
}

TEST_F(LanchatdTest, EveryExampleNodeFileInConfigPassesCheck) {
    // plugin_dir points at this build's plugins, wherever the example expects them installed, pki_dir at a
    // PKI made for the example's node, data_dir into the test's directory, and the PostgreSQL stores' connection
    // strings (config/cluster/node-N.toml: a server scripts/run-cluster.sh starts) at a server started here,
    // since --check connects.
    int checked = 0;
    std::unique_ptr<PostgresServer> postgres;
    std::string database;
    for (const auto& entry : fs::recursive_directory_iterator(kSourceDir / "config")) {
        if (entry.path().extension() != ".toml") continue;
        std::string text = read_text(entry.path());
        set_line(text, "plugin_dir", "\"" LANCHAT_PLUGIN_DIR "\"");
        const std::string node = entry.path().stem().string();
        set_line(text, "data_dir", "\"" + (dir_.path() / ("data-" + node)).string() + "\"");
        if (text.find("\npostgres_dsn = ") != std::string::npos) {
            if (!postgres) {
                postgres = std::make_unique<PostgresServer>();
                database = postgres->create_database();
            }
            set_every_dsn(text, database);
        }
        fs::path pki = dir_.path() / ("pki-" + node);
        make_pki(pki, node);
        set_line(text, "pki_dir", "\"" + pki.string() + "\"");
        fs::path copy = dir_.write("config/" + entry.path().filename().string(), text);
        Completed run = run_to_exit({kLanchatd, "--check", copy.string()});
        EXPECT_EQ(run.exit_code, 0) << entry.path() << "\n" << run.output;
        ++checked;
    }
    EXPECT_GE(checked, 3);
}

TEST_F(LanchatdTest, PluginsStartInOrderAndStopInReverseOnSigterm) {
    auto [logs, output] = run_until_sigterm(
        node_file(plugin_entry("first", kFixtures / "probe.so") + plugin_entry("second", kFixtures / "probe_twin.so")),
        "\"node ready\"");
    int first_started = find(logs, "plugin started", "first");
    int second_started = find(logs, "plugin started", "second");
    int first_stopped = find(logs, "plugin stopped", "first");
    int second_stopped = find(logs, "plugin stopped", "second");
    ASSERT_GE(first_started, 0) << output;
    EXPECT_LT(first_started, second_started);
    EXPECT_LT(second_started, find(logs, "node ready"));
    EXPECT_LT(second_stopped, first_stopped);
    EXPECT_EQ(logs[first_started]["fields"]["version"], "1.2.3");
    EXPECT_EQ(logs[first_started]["fields"]["core"], "false");
    // A plugin's own lines carry its name, and the host gave it a data directory of its own.
    int created = find(logs, "probe created", "second");
    ASSERT_GE(created, 0);
    EXPECT_EQ(logs[created]["fields"]["data_dir"], (dir_.path() / "data" / "second").string());
    EXPECT_TRUE(fs::is_directory(dir_.path() / "data" / "second"));
}

TEST_F(LanchatdTest, APluginLearnsTheHostsAbiAtItsEntryAndFromItsTable) {
    auto [logs, output] = run_until_sigterm(node_file(plugin_entry("probe", kFixtures / "probe.so")), "\"node ready\"");
    int created = find(logs, "probe created", "probe");
    ASSERT_GE(created, 0) << output;
    std::string host_abi = std::to_string(LANCHAT_ABI_MAJOR) + "." + std::to_string(LANCHAT_ABI_MINOR);
    EXPECT_EQ(logs[created]["fields"]["host_abi"], host_abi);
    EXPECT_EQ(logs[created]["fields"]["host_table_abi"], host_abi);
}

TEST_F(LanchatdTest, SigintStopsTheNodeToo) {
    ChildProcess node({kLanchatd, node_file(plugin_entry("probe", kFixtures / "probe.so")).string()});
    ASSERT_TRUE(node.wait_for_line("\"node ready\"")) << node.output();
    node.send_signal(SIGINT);
    EXPECT_EQ(node.wait_exit(), 0) << node.output();
    EXPECT_GE(find(records(node.lines()), "plugin stopped", "probe"), 0);
}

TEST_F(LanchatdTest, ShutdownWaitsForADrainThatFinishesInTime) {
    auto [logs, output] =
        run_until_sigterm(node_file(plugin_entry("slow", kFixtures / "probe.so", "drain_ms = 300")), "\"node ready\"");
    int drained = find(logs, "probe drained", "slow");
    int stopped = find(logs, "plugin stopped", "slow");
    ASSERT_GE(drained, 0) << output;
    EXPECT_LT(drained, stopped);
    EXPECT_EQ(logs[stopped]["fields"]["drained"], "true");
}

TEST_F(LanchatdTest, ADrainPastTheDeadlineIsCutShortAndTheNodeStillExitsCleanly) {
    auto [logs, output] = run_until_sigterm(
        node_file(plugin_entry("stuck", kFixtures / "probe.so", "drain_ms = 60000"), "drain_timeout_ms = 200"),
        "\"node ready\"", std::chrono::seconds(10));
    EXPECT_GE(find(logs, "plugin did not finish draining in time; stopping it anyway", "stuck"), 0);
    int stopped = find(logs, "plugin stopped", "stuck");
    ASSERT_GE(stopped, 0);
    EXPECT_EQ(logs[stopped]["fields"]["drained"], "false");
    EXPECT_EQ(find(logs, "probe drained", "stuck"), -1);  // its timer was cancelled at stop
}

TEST_F(LanchatdTest, NoPluginTimerFiresAfterThePluginStopped) {
    auto [logs, output] =
        run_until_sigterm(node_file(plugin_entry("ticker", kFixtures / "probe.so", "tick_ms = 5")), "\"tick\"");
    int stopped = find(logs, "probe stopped", "ticker");
    ASSERT_GE(stopped, 0);
    for (size_t i = static_cast<size_t>(stopped); i < logs.size(); ++i) EXPECT_NE(logs[i]["message"], "tick");
}

TEST_F(LanchatdTest, APluginBuiltAgainstTheFrozenV1_0HeaderKeepsLoading) {
    auto [logs, output] = run_until_sigterm(node_file(plugin_entry("compat", kCompatPlugin, "greeting = \"hello\"")),
                                            "\"compat timer fired\"");
    int started = find(logs, "compat plugin started", "compat");
    ASSERT_GE(started, 0);
    EXPECT_EQ(logs[started]["fields"]["greeting"], "hello");
    EXPECT_EQ(logs[find(logs, "plugin started", "compat")]["fields"]["abi"], "1.0");
    EXPECT_GE(find(logs, "plugin stopped", "compat"), 0);
}

TEST_F(LanchatdTest, TextFormatIsReadableForATerminal) {
    ChildProcess node({kLanchatd, "--log-format", "text", node_file("").string()});
    auto ready = node.wait_for_line("node ready");
    ASSERT_TRUE(ready) << node.output();
    EXPECT_NE(ready->find(" info host: node ready plugins=0 data_dir="), std::string::npos) << *ready;
    node.send_signal(SIGTERM);
    EXPECT_EQ(node.wait_exit(), 0);
}

TEST_F(LanchatdTest, CheckCreatesAndDestroysEachPluginWithoutStartingOrTouchingTheDataDirectory) {
    Completed ok =
        run_to_exit({kLanchatd, "--check", node_file(plugin_entry("probe", kFixtures / "probe.so")).string()});
    EXPECT_EQ(ok.exit_code, 0) << ok.output;
    std::vector<json> logs = records(ok.lines);
    EXPECT_GE(find(logs, "node file is valid"), 0);
    int created = find(logs, "probe created");
    ASSERT_GE(created, 0) << ok.output;  // its own code read its config, as at start
    EXPECT_NE(logs[created]["fields"].value("data_dir", "").find("lanchatd-check-"), std::string::npos);
    EXPECT_EQ(find(logs, "probe started"), -1);
    EXPECT_FALSE(fs::exists(dir_.path() / "data"));

    Completed bad =
        run_to_exit({kLanchatd, "--check", node_file(plugin_entry("old", kFixtures / "abi_major_2.so")).string()});
    EXPECT_EQ(bad.exit_code, kExitFailed);
    EXPECT_NE(error_message(bad).find("plugin ABI 2.0 is incompatible with host ABI 1."), std::string::npos);
}

TEST_F(LanchatdTest, CheckRefusesGatewaySettingsTheGatewayWouldRefuseAtStart) {
    // Each case: a [plugin.config] line, then the message (after "plugin 'gateway' (FILE:5:1): ")
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"allow_registraton = true",
         "unknown config key 'allow_registraton' at FILE:9:21 (known keys: auth_timeout_ms, "
         "rate_per_second, burst, max_body_bytes, allow_registration, heartbeat_ms, "
         "call_timeout_ms, max_writes_in_flight, max_reply_bytes, max_requests_in_flight, session_recheck_ms, "
         "registrations_per_minute, registration_burst, max_watched_users)"},
        {"max_body_bytes = \"4000\"", "config key 'max_body_bytes' at FILE:9:18: expected an integer, found a string"},
        {"rate_per_second = -5", "config key 'rate_per_second' at FILE:9:19: must be between 1 and 100000, found -5"},
    };
    for (const auto& [setting, message] : cases) {
        fs::path file = node_file(plugin_entry("gateway", fs::path(LANCHAT_PLUGIN_DIR) / "gateway.so", setting));
        Completed run = run_to_exit({kLanchatd, "--check", file.string()});
        std::string expected = with_file("plugin 'gateway' (FILE:5:1): " + message, file);
        EXPECT_EQ(run.exit_code, kExitFailed) << run.output;
        EXPECT_EQ(error_message(run), expected);
    }
}

TEST_F(LanchatdTest, CheckRefusesAMeshWhosePkiIsMissing) {
    const fs::path pki = dir_.path() / "pki";
    fs::path file =
        dir_.write("node.toml", "[node]\nname = \"n1\"\n[mesh]\nlisten = \"127.0.0.1:0\"\npki_dir = \"pki\"\n");
    Completed missing = run_to_exit({kLanchatd, "--check", file.string()});
    EXPECT_EQ(missing.exit_code, kExitFailed) << missing.output;
    EXPECT_EQ(error_message(missing), file.string() + ":5:11: [mesh] pki_dir \"" + pki.string() +
                                          "\" is not a directory; make one with lanchatctl pki init --dir " +
                                          pki.string() + " and lanchatctl pki issue --dir " + pki.string() +
                                          " --node n1 --service ...");

    make_pki(pki, "someone-else");
    Completed other_node = run_to_exit({kLanchatd, "--check", file.string()});
    EXPECT_EQ(other_node.exit_code, kExitFailed) << other_node.output;
    EXPECT_EQ(
        error_message(other_node)
            .rfind(file.string() + ":5:11: [mesh] pki_dir has no " + (pki / "nodes" / "n1" / "node.crt").string() +
                       " (the certificate of node 'n1'; lanchatctl pki issue",
                   0),
        0u)
        << error_message(other_node);

    ASSERT_EQ(run_to_exit({kLanchatctl, "pki", "issue", "--dir", pki.string(), "--node", "n1", "--service", "audit"})
                  .exit_code,
              0);
    Completed ok = run_to_exit({kLanchatd, "--check", file.string()});
    EXPECT_EQ(ok.exit_code, 0) << ok.output;
}

TEST_F(LanchatdTest, CheckRefusesAPortBeyond65535WhereItIsWritten) {
    fs::path file =
        dir_.write("node.toml", "[node]\nname = \"n1\"\n[mesh]\nlisten = \"127.0.0.1:99999\"\npki_dir = \"pki\"\n");
    Completed run = run_to_exit({kLanchatd, "--check", file.string()});
    EXPECT_EQ(run.exit_code, kExitBadConfig);
    EXPECT_EQ(run.lines, std::vector<std::string>{"lanchatd: " + file.string() +
                                                  ":4:10: [mesh] listen must end in a "
                                                  "port from 0 to 65535, found \"127.0.0.1:99999\""});
}

TEST_F(LanchatdTest, CheckSaysWhenAPluginsConfigIsCheckedOnlyByItsOwnCode) {
    fs::path refused = node_file(plugin_entry("compat", kCompatPlugin, "greeting = 5"));
    Completed bad = run_to_exit({kLanchatd, "--check", refused.string()});
    EXPECT_EQ(bad.exit_code, kExitFailed) << bad.output;
    EXPECT_EQ(error_message(bad), "plugin 'compat' (" + refused.string() +
                                      ":5:1): create failed: config key 'greeting' must be a short string");

    Completed run = run_to_exit(
        {kLanchatd, "--check", node_file(plugin_entry("compat", kCompatPlugin, "greeting = \"hi\"")).string()});
    EXPECT_EQ(run.exit_code, 0) << run.output;
    std::vector<json> logs = records(run.lines);
    int warned =
        find(logs, "the plugin declares no settings table: its [plugin.config] is checked only by its own code");
    ASSERT_GE(warned, 0) << run.output;
    EXPECT_EQ(logs[warned]["level"], "warn");
    EXPECT_EQ(logs[warned]["fields"]["plugin"], "compat");
    EXPECT_EQ(logs[warned]["fields"]["abi"], "1.0");
}

TEST_F(LanchatdTest, DescribePrintsThePluginsSettings) {
    const fs::path gateway = fs::path(LANCHAT_PLUGIN_DIR) / "gateway.so";
    Completed run = run_to_exit({kLanchatd, "--describe", gateway.string()});
    EXPECT_EQ(run.exit_code, 0) << run.output;
    ASSERT_GE(run.lines.size(), 16u) << run.output;
    EXPECT_EQ(run.lines[0], "gateway 0.1.0 (plugin ABI " + std::to_string(LANCHAT_ABI_MAJOR) + "." +
                                std::to_string(LANCHAT_ABI_MINOR) + ", " + gateway.string() + ")");
    EXPECT_EQ(run.lines[1], "Settings in its [plugin.config]:");
    EXPECT_EQ(run.lines[2], "  auth_timeout_ms (milliseconds, default 10000, at least 100)");
    EXPECT_EQ(run.lines[3], "      how long a new connection has to authenticate before it is closed (4001)");
    EXPECT_EQ(run.lines[4], "  rate_per_second (integer, default 20, between 1 and 100000)");
    EXPECT_EQ(run.lines[10], "  allow_registration (boolean, default false)");

    Completed missing = run_to_exit({kLanchatd, "--describe", (dir_.path() / "absent.so").string()});
    EXPECT_EQ(missing.exit_code, kExitFailed);
    EXPECT_EQ(missing.lines, std::vector<std::string>{"lanchatd: " + (dir_.path() / "absent.so").string() +
                                                      ": plugin file not found"});
}

// --- bad node files: one plain line on stderr, exit 2 ---

TEST_F(LanchatdTest, BadNodeFilesAreRefusedWithOneLineAndExitCode2) {
    // Each case: the node file, then the message (after "lanchatd: <file>")
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"[node]\nname = \"n\"\nname2 = \"unterminated\n",
         ":3:22: TOML syntax error: Error while parsing string: unescaped control characters other than TAB (U+0009) "
         "are explicitly prohibited"},
        {"[node]\nname = \"n\"\nnmae = 1\n",
         ":3:1: unknown key 'nmae' in [node] (known keys: name, data_dir, "
         "plugin_dir, log_format, log_level, executor_threads, drain_timeout_ms, export_traces, "
         "export_traces_max_bytes)"},
        {"[node]\nname = \"n\"\n[[plugin]]\nname = \"a\"\n", ":3:1: [[plugin]] 'a' is missing the required key 'path'"},
        {"[node]\nname = \"n\"\n[[plugin]]\nname = \"a\"\npath = \"a.so\"\ncore = 1\n",
         ":6:8: key 'core' in [[plugin]] 'a' must be a boolean, found an integer"},
        {"[node]\nname = \"n\"\n[[plugin]]\nname = \"a\"\npath = \"a.so\"\n[[plugin]]\nname = \"a\"\npath = \"b.so\"\n",
         ":6:1: duplicate plugin name 'a' (first defined at FILE:3:1); plugin names must be unique"},
    };
    for (const auto& [content, message] : cases) {
        fs::path file = dir_.write("bad.toml", content);
        Completed run = run_to_exit({kLanchatd, file.string()});
        std::string expected = "lanchatd: " + file.string() + with_file(message, file);
        EXPECT_EQ(run.exit_code, kExitBadConfig) << run.output;
        EXPECT_EQ(run.lines, std::vector<std::string>{expected});
    }
}

TEST_F(LanchatdTest, UnknownOptionPrintsUsageAndExitCode2) {
    Completed run = run_to_exit({kLanchatd, "--frobnicate", "x.toml"});
    EXPECT_EQ(run.exit_code, kExitBadConfig);
    ASSERT_FALSE(run.lines.empty());
    EXPECT_EQ(run.lines[0], "lanchatd: unknown option --frobnicate");
}

// --- bad plugin files: one JSON error line, exit 1, nothing left running ---

TEST_F(LanchatdTest, BadPluginFilesAreRefusedWithTheReasonAndExitCode1) {
    const std::string v = std::to_string(LANCHAT_ABI_MAJOR) + "." + std::to_string(LANCHAT_ABI_MINOR);
    const std::string newer = std::to_string(LANCHAT_ABI_MAJOR) + "." + std::to_string(LANCHAT_ABI_MINOR + 1);
    // Each case: the fixture file, then the reason after its path
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"absent.so", ": plugin file not found"},
        {"not_elf.so", ": not a shared object (no ELF header); a plugin is a .so built with lanchat_add_plugin"},
        {"an_executable",
         ": not a shared object: it is an executable; a plugin is a .so built with lanchat_add_plugin"},
        {"wrong_arch.so", ": wrong architecture: built for i386 (32-bit), this host runs on x86_64 (64-bit)"},
        {"no_entry.so",
         ": entry symbol 'lanchat_plugin_entry' not found; is this a lanchat plugin? (the SDK's "
         "LANCHAT_PLUGIN macro exports it)"},
        {"abi_major_2.so", ": plugin ABI 2.0 is incompatible with host ABI " + v +
                               " (the major version must match); rebuild the plugin against this host's SDK"},
        {"abi_minor_newer.so", ": plugin ABI " + newer + " is newer than host ABI " + v +
                                   "; upgrade lanchatd or rebuild the plugin against SDK " + v},
    };
    for (const auto& [file_name, reason] : cases) {
        fs::path file =
            node_file(plugin_entry("good", kFixtures / "probe.so") + plugin_entry("bad", kFixtures / file_name));
        Completed run = run_failing(file);
        EXPECT_EQ(run.exit_code, kExitFailed) << run.output;
        EXPECT_EQ(error_message(run),
                  "plugin 'bad' (" + file.string() + ":8:1): " + (kFixtures / file_name).string() + reason);
        // The plugin started before the bad one was stopped again.
        EXPECT_GE(find(records(run.lines), "plugin stopped", "good"), 0) << run.output;
        EXPECT_EQ(find(records(run.lines), "node ready"), -1);
    }
}

TEST_F(LanchatdTest, APluginThatFailsToInitialiseIsRefusedWithItsOwnMessage) {
    // Each case: the [plugin.config] lines, then the error message
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"fail_in = \"constructor\"\nmessage = \"database /x is read-only\"",
         "plugin 'p': create failed: database /x is read-only"},
        {"throw_in = \"constructor\"\nmessage = \"boom\"", "plugin 'p': create failed: plugin constructor threw: boom"},
        {"fail_in = \"start\"\nmessage = \"port in use\"", "plugin 'p': start failed: port in use"},
        {"throw_in = \"start\"\nmessage = \"bang\"", "plugin 'p': start failed: start threw: bang"},
        {"drain_ms = \"soon\"",
         "plugin 'p': create failed: config key 'drain_ms' at FILE:9:12: expected an integer "
         "number of milliseconds, found a string"},
        {"colour = \"red\"",
         "plugin 'p': create failed: unknown config key 'colour' at FILE:9:10 (known keys: "
         "fail_in, throw_in, message, drain_ms, tick_ms, health, unhealthy_after_ms)"},
    };
    for (const auto& [config, message] : cases) {
        fs::path file = node_file(plugin_entry("p", kFixtures / "probe.so", config));
        Completed run = run_failing(file);
        std::string expected = with_file(message, file);
        EXPECT_EQ(run.exit_code, kExitFailed) << run.output;
        EXPECT_EQ(error_message(run), expected);
        EXPECT_EQ(find(records(run.lines), "node ready"), -1);
    }
}

TEST_F(LanchatdTest, CheckRefusesAPluginTheNodeCouldNotReloadSafely) {
    const fs::path plugin = kFixtures / "full_runtime.so";
    Completed run = run_to_exit({kLanchatd, "--check", node_file(plugin_entry("notes", plugin)).string()});
    EXPECT_EQ(run.exit_code, kExitFailed) << run.output;
    EXPECT_NE(error_message(run).find("plugin 'notes' ("), std::string::npos) << error_message(run);
    EXPECT_NE(error_message(run).find(plugin.string() + ": contains protobuf code generated for the full runtime"),
              std::string::npos)
        << error_message(run);
}

TEST_F(LanchatdTest, CheckRefusesAnAuthorizationKeyThatNamesNoService) {
    make_pki(dir_.path() / "pki", "n1");
    auto node = [&](const std::string& key) {
        return dir_.write("node.toml",
                          "[node]\nname = \"n1\"\n[mesh]\nlisten = \"127.0.0.1:0\"\npki_dir = \"pki\"\n"
                          "[authorization]\n" +
                              key + " = [\"gateway\"]\n");
    };
    fs::path file = node("echo");
    Completed run = run_to_exit({kLanchatd, "--check", file.string()});
    EXPECT_EQ(run.exit_code, kExitFailed) << run.output;
    EXPECT_EQ(error_message(run).rfind(file.string() +
                                           ": [authorization] key 'echo' names no service, so it authorizes nothing: a "
                                           "key is a proto service (\"acme.greeter.v1.Greeter\"), a full method "
                                           "(\"/acme.greeter.v1.Greeter/Say\"), or the name of a lanchat.<name>.v1 "
                                           "service (audit, auth, ",
                                       0),
              0u)
        << error_message(run);
    for (const char* key : {"audit", "\"acme.greeter.v1.Greeter\"", "\"/lanchat.audit.v1.Audit/Query\""}) {
        Completed ok = run_to_exit({kLanchatd, "--check", node(key).string()});
        EXPECT_EQ(ok.exit_code, 0) << key << ": " << ok.output;
    }
}

}  // namespace
}  // namespace lanchat

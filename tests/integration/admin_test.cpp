// The admin endpoint and lanchatctl on a real node: health, readiness, plugins, metrics (checked by
// promtool), the reload action, HTTPS with operator certificates, and clear errors.
#include <gtest/gtest.h>
#include <signal.h>

#include <nlohmann/json.hpp>

#include "build_paths.hpp"
#include "child_process.hpp"
#include "grpc_client.hpp"
#include "http_get.hpp"
#include "lanchat/plugin_abi.h"
#include "lanchat/test/v1/echo.pb.h"
#include "lanchat/url/url.hpp"
#include "temp_dir.hpp"
#include "test_certificates.hpp"

namespace lanchat {
namespace {

using namespace lanchat::testing;
using nlohmann::json;
namespace fs = std::filesystem;

class AdminTest : public ::testing::Test {
protected:
    void SetUp() override {
        pki("init", {"--trust-domain", "lan-chat.test"});
        pki("issue", {"--node", "n", "--service", "echo,caller"});
        pki("issue-client", {"--operator", "alice"});
    }
    void pki(const std::string& command, std::vector<std::string> args) {
        std::vector<std::string> argv = {kLanchatctl, "pki", command, "--dir", pki_.string()};
        argv.insert(argv.end(), args.begin(), args.end());
        ASSERT_EQ(run_to_exit(argv).exit_code, 0);
    }

    // Starts a node with a core probe and the echo plugin; returns its ready line.
    json start(const std::string& admin, const std::string& probe_config = "") {
        fs::path file =
            dir_.write("n.toml",
                       "[node]\nname = \"n\"\ndata_dir = \"data\"\n[mesh]\nlisten = \"127.0.0.1:0\"\n"
                       "pki_dir = \"" +
                           pki_.string() +
                           "\"\n[authorization]\n"
                           "\"lanchat.test.v1.Echo\" = [\"caller\"]\n[admin]\n" +
                           admin + "\n[[plugin]]\nname = \"probe\"\ncore = true\npath = \"" +
                           (kFixtures / "probe.so").string() + "\"\n[plugin.config]\n" + probe_config +
                           "\n[[plugin]]\nname = \"echo\"\npath = \"" + (kFixtures / "echo.so").string() + "\"\n");
        node_ = std::make_unique<ChildProcess>(std::vector<std::string>{kLanchatd, file.string()});
        auto ready = node_->wait_for_line("\"node ready\"");
        if (!ready) throw std::runtime_error("node did not start:\n" + node_->output());
        return json::parse(*ready)["fields"];
    }
    void TearDown() override {
        if (node_) {
            node_->send_signal(SIGTERM);
            EXPECT_EQ(node_->wait_exit(), 0) << node_->output();
        }
    }

    Completed ctl(std::vector<std::string> args) {
        args.insert(args.begin(), kLanchatctl);
        return run_to_exit(args);
    }

    TempDir dir_;
    fs::path pki_ = dir_.path() / "pki";
    std::unique_ptr<ChildProcess> node_;
};

// "host:port" of an http:// or https:// URL, to speak plain HTTP to whichever it is.
std::string host_port(const std::string& url) {
    url::HostPort server = sdk::value_or_throw(url::parse_url(url, {"http", "https"})).server;
    return server.host + ":" + server.port;
}

// One Echo.Say call as "caller", so the RPC metrics have something to count.
void say_hello(const std::string& grpc, const fs::path& pki) {
    test::v1::SayRequest request;
    request.set_text("hi");
    auto reply = lanchat::testing::call(
        lanchat::testing::channel_to(grpc, pki / "ca.crt", {pki / "nodes/n/caller.crt", pki / "nodes/n/caller.key"}),
        "/lanchat.test.v1.Echo/Say", request.SerializeAsString());
    ASSERT_TRUE(reply.status.ok()) << reply.status.error_message();
}

TEST_F(AdminTest, EveryEndpointAnswersOnARealNode) {
    json ready = start("listen = \"127.0.0.1:0\"");
    std::string admin = ready["admin"];
    ASSERT_EQ(admin.rfind("http://127.0.0.1:", 0), 0u);
    EXPECT_EQ(http_request(host_port(admin), "GET", "/health/live").body, "live\n");
    auto readiness = http_request(host_port(admin), "GET", "/health/ready");
    EXPECT_EQ(readiness.status, 200);
    EXPECT_EQ(readiness.body, "ready\n");

    auto plugins = json::parse(http_request(host_port(admin), "GET", "/plugins").body);
    ASSERT_EQ(plugins.size(), 2u);
    EXPECT_EQ(plugins[0]["name"], "probe");
    EXPECT_EQ(plugins[0]["version"], "1.2.3");
    EXPECT_EQ(plugins[0]["abi"], std::to_string(LANCHAT_ABI_MAJOR) + "." + std::to_string(LANCHAT_ABI_MINOR));
    EXPECT_EQ(plugins[0]["core"], true);
    EXPECT_EQ(plugins[0]["state"], "started");
    EXPECT_EQ(plugins[0]["file"], (kFixtures / "probe.so").string());
    EXPECT_EQ(plugins[1]["core"], false);
    EXPECT_EQ(std::string(plugins[1]["loaded_at"]).size(), 20u);

    EXPECT_EQ(http_request(host_port(admin), "GET", "/nope").status, 404);
    EXPECT_EQ(http_request(host_port(admin), "DELETE", "/metrics").status, 405);
    auto core = http_request(host_port(admin), "POST", "/plugins/probe/reload");
    EXPECT_EQ(core.status, 409);
    EXPECT_EQ(core.body, "plugin 'probe' is core (core = true in the node file) and never reloads\n");
    EXPECT_EQ(http_request(host_port(admin), "POST", "/plugins/ghost/reload").status, 404);
}

TEST_F(AdminTest, MetricsPassPromtoolAndCountRpcsByServiceMethodAndCode) {
    json ready = start("listen = \"127.0.0.1:0\"", "tick_ms = 5");
    ASSERT_TRUE(node_->wait_for_line("\"tick\""));
    say_hello(ready["grpc"], pki_);
    std::string metrics = http_request(host_port(ready["admin"]), "GET", "/metrics").body;
    fs::path file = dir_.write("metrics.txt", metrics);
    Completed promtool = run_to_exit({"/bin/sh", "-c", "promtool check metrics < " + file.string()});
    EXPECT_EQ(promtool.exit_code, 0) << promtool.output;
    for (const char* expected : {
             "lanchat_rpc_server_requests_total{service=\"lanchat.test.v1.Echo\",method=\"Say\",code=\"OK\"} 1\n",
             "lanchat_rpc_server_handling_seconds_count{service=\"lanchat.test.v1.Echo\",method=\"Say\"} 1\n",
             "lanchat_plugin_state{plugin=\"probe\",state=\"started\"} 1\n",
             "lanchat_plugin_healthy{plugin=\"echo\"} 1\n",
             "# TYPE process_resident_memory_bytes gauge\n",
             "# TYPE process_open_fds gauge\n",
             "# TYPE lanchat_uptime_seconds gauge\n",
             "# HELP lanchat_probe_ticks_total Ticks logged by the probe.\n",
             "lanchat_probe_ticks_total{kind=\"regular\"} ",
             "lanchat_probe_started 1\n",
         }) {
        EXPECT_NE(metrics.find(expected), std::string::npos) << expected;
    }
}

TEST_F(AdminTest, StatusAnswersOneJsonSummaryOfReadinessProcessRpcsAndPlugins) {
    json ready = start("listen = \"127.0.0.1:0\"");
    say_hello(ready["grpc"], pki_);
    auto reply = http_request(host_port(ready["admin"]), "GET", "/status");
    ASSERT_EQ(reply.status, 200);
    json status = json::parse(reply.body);
    EXPECT_EQ(status["node"], "n");
    EXPECT_EQ(status["ready"], true);
    EXPECT_EQ(status["not_ready"].size(), 0u);
    EXPECT_GE(status["uptime_seconds"].get<double>(), 0.0);
    EXPECT_GT(status["process"]["resident_memory_bytes"].get<double>(), 0.0);
    EXPECT_GT(status["process"]["open_fds"].get<double>(), 0.0);
    ASSERT_EQ(status["plugins"].size(), 2u);
    EXPECT_EQ(status["plugins"][0]["name"], "probe");
    json say;
    for (const json& served : status["rpc"]["served"]) {
        if (served["service"] == "lanchat.test.v1.Echo" && served["method"] == "Say") say = served;
    }
    EXPECT_EQ(say["code"], "OK");
    EXPECT_EQ(say["count"], 1);
    EXPECT_EQ(status["rpc"]["refused"], 0);

    json samples = json::parse(http_request(host_port(ready["admin"]), "GET", "/metrics/samples").body);
    bool found = false;
    for (const json& sample : samples) {
        found |= sample["name"] == "lanchat_plugin_state" && sample["labels"]["plugin"] == "probe" &&
                 sample["labels"]["state"] == "started" && sample["value"] == 1;
    }
    EXPECT_TRUE(found) << samples.dump();
}

TEST_F(AdminTest, ReadinessFlipsWhenACorePluginReportsUnhealthy) {
    // The probe falls ill 5 s after it starts: long enough for a node under ASan, beside a full parallel
    // sanitizer run, to report ready first (500 ms was not).
    json ready = start("listen = \"127.0.0.1:0\"", "unhealthy_after_ms = 5000");
    EXPECT_EQ(http_request(host_port(ready["admin"]), "GET", "/health/ready").status, 200);
    lanchat::testing::HttpReply readiness;
    for (int i = 0; i < 400 && readiness.status != 503; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        readiness = http_request(host_port(ready["admin"]), "GET", "/health/ready");
    }
    EXPECT_EQ(readiness.status, 503);
    EXPECT_EQ(readiness.body, "not ready\nplugin 'probe' is not_serving: fell ill on schedule\n");
    Completed health = ctl({"--admin", ready["admin"], "health"});
    EXPECT_EQ(health.exit_code, 1);
    EXPECT_EQ(health.output, "live, not ready\nplugin 'probe' is not_serving: fell ill on schedule\n");
    // A liveness probe asks only whether the node runs: not ready is still live.
    EXPECT_EQ(ctl({"--admin", ready["admin"], "health", "--live"}).exit_code, 0);
}

TEST_F(AdminTest, LanchatctlReportsStatusPluginsHealthMetricsAndReload) {
    json ready = start("listen = \"127.0.0.1:0\"");
    std::string admin = ready["admin"];
    say_hello(ready["grpc"], pki_);
    EXPECT_EQ(ctl({"--admin", admin, "health"}).output, "live, ready\n");
    auto status = json::parse(ctl({"--admin", admin, "status", "--json"}).output);
    EXPECT_EQ(status["ready"], true);
    EXPECT_EQ(status["plugins"].size(), 2u);
    auto plugins = json::parse(ctl({"plugins", "--admin", admin, "--json"}).output);
    EXPECT_EQ(plugins[1]["name"], "echo");
    Completed metrics = ctl({"--admin", admin, "metrics"});
    EXPECT_EQ(metrics.exit_code, 0);
    EXPECT_NE(metrics.output.find("lanchat.test.v1.Echo/Say"), std::string::npos) << metrics.output;
    EXPECT_NE(metrics.output.find("OK=1"), std::string::npos) << metrics.output;
    auto samples = json::parse(ctl({"--admin", admin, "metrics", "--json"}).output);
    EXPECT_GT(samples.size(), 10u);
    Completed reload = ctl({"--admin", admin, "reload", "echo"});
    EXPECT_EQ(reload.exit_code, 0) << reload.output;
    EXPECT_EQ(reload.output, "reloaded plugin 'echo'\n");
    Completed core = ctl({"--admin", admin, "reload", "probe"});
    EXPECT_EQ(core.exit_code, 1);
    EXPECT_EQ(core.output, "plugin 'probe' is core (core = true in the node file) and never reloads\n");
}

// A web page in the operator's browser reaches loopback too: through DNS rebinding (its own name, now
// resolving to 127.0.0.1, arrives as the Host) or a cross-site form or fetch (its Origin arrives).
TEST_F(AdminTest, RequestsAddressedByAWebPageAreRefused) {
    json ready = start("listen = \"127.0.0.1:0\"");
    const std::string admin = host_port(ready["admin"]);
    const std::string port = admin.substr(admin.rfind(':') + 1);
    EXPECT_EQ(http_request(admin, "GET", "/plugins").status, 200);
    EXPECT_EQ(http_request(admin, "GET", "/plugins", {{"Host", "localhost:" + port}}).status, 200);

    auto rebound = http_request(admin, "GET", "/plugins", {{"Host", "attacker.example:" + port}});
    EXPECT_EQ(rebound.status, 403);
    EXPECT_EQ(rebound.body, "refused: Host 'attacker.example:" + port + "' is not this endpoint (127.0.0.1:" + port +
                                "): the admin endpoint answers only requests addressed to its loopback address\n");
    EXPECT_EQ(http_request(admin, "GET", "/metrics", {{"Host", "127.evil.example:" + port}}).status, 403);
    EXPECT_EQ(http_request(admin, "GET", "/metrics", {{"Host", "127.0.0.1:1"}}).status, 403);

    auto posted = http_request(admin, "POST", "/plugins/echo/reload", {{"Origin", "http://attacker.example"}});
    EXPECT_EQ(posted.status, 403);
    EXPECT_EQ(posted.body,
              "refused: Origin 'http://attacker.example' is a web page of another site; the admin "
              "endpoint answers operators' tools, not pages\n");
    auto reloads = [&] {
        const std::string metrics = http_request(admin, "GET", "/metrics").body;
        return metrics.find("lanchat_plugin_reloads_total{plugin=\"echo\"} 1") != std::string::npos;
    };
    EXPECT_FALSE(reloads());  // the refused POST reloaded nothing
    EXPECT_EQ(http_request(admin, "POST", "/plugins/echo/reload", {{"Origin", "http://" + admin}}).status, 200);
    EXPECT_TRUE(reloads());
}

TEST_F(AdminTest, OverHttpsOnlyAnOperatorCertificateIsServed) {
    json ready = start("listen = \"127.0.0.1:0\"\nhttps = true");
    std::string admin = ready["admin"];
    ASSERT_EQ(admin.rfind("https://127.0.0.1:", 0), 0u);
    // Plain HTTP to the HTTPS port gets no HTTP answer.
    EXPECT_EQ(http_request(host_port(admin), "GET", "/health/live").status, 0);
    // No certificate: the TLS handshake is refused.
    Completed anonymous =
        ctl({"--admin", admin, "--ca", (pki_ / "ca.crt").string(), "--cert", "", "--key", "", "health"});
    EXPECT_EQ(anonymous.exit_code, 1);
    // A service's certificate is valid but is not an operator.
    Completed service =
        ctl({"--admin", admin, "--ca", (pki_ / "ca.crt").string(), "--cert", (pki_ / "nodes/n/caller.crt").string(),
             "--key", (pki_ / "nodes/n/caller.key").string(), "health"});
    EXPECT_EQ(service.exit_code, 1);
    EXPECT_EQ(service.output,
              "lanchatctl: the node refused the request (403): this endpoint needs an operator "
              "certificate (spiffe://lan-chat.test/operator/<name>); got "
              "spiffe://lan-chat.test/svc/caller\n");
    Completed alice = ctl({"--admin", admin, "--pki", pki_.string(), "--operator", "alice", "health"});
    EXPECT_EQ(alice.exit_code, 0) << alice.output;
    EXPECT_EQ(alice.output, "live, ready\n");
    EXPECT_TRUE(node_->wait_for_line("refused an admin request"));
}

TEST_F(AdminTest, ANonLoopbackListenerWithoutAPkiIsRefusedAtStart) {
    fs::path file = dir_.write("x.toml", "[node]\nname = \"x\"\n[admin]\nlisten = \"10.255.255.1:9464\"\n");
    Completed run = run_to_exit({kLanchatd, file.string()});
    EXPECT_EQ(run.exit_code, 1);
    EXPECT_NE(run.output.find("[admin] listen = \\\"10.255.255.1:9464\\\" is not loopback, so it needs HTTPS with "
                              "operator certificates: add a [mesh] table with pki_dir"),
              std::string::npos)
        << run.output;
}

TEST_F(AdminTest, LanchatctlSaysClearlyWhenTheNodeIsUnreachable) {
    Completed run = ctl({"--admin", "http://127.0.0.1:1", "status"});
    EXPECT_EQ(run.exit_code, 1);
    EXPECT_EQ(run.output,
              "lanchatctl: cannot reach the admin endpoint at http://127.0.0.1:1: Connection refused (is "
              "lanchatd running with an [admin] table?)\n");
}

}  // namespace
}  // namespace lanchat

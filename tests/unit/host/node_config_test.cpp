#include "config/node_config.hpp"

#include <gtest/gtest.h>

#include <initializer_list>
#include <utility>

#include "lanchat/url/url.hpp"
#include "temp_dir.hpp"

namespace lanchat::host {
namespace {

using lanchat::testing::TempDir;

class NodeConfigTest : public ::testing::Test {
protected:
    // Loads `content` as node.toml and returns the error message ("" when it loaded).
    std::string error_of(const std::string& content) {
        auto loaded = load_node_config(dir_.write("node.toml", content), "/plugins");
        return loaded.ok() ? "" : loaded.status().message();
    }
    std::string file() const { return (dir_.path() / "node.toml").string(); }

    // Each node file and how loading it is refused: file() followed by `refusal` (where, then why).
    void expect_refusals(std::initializer_list<std::pair<std::string, std::string>> cases) {
        for (const auto& [content, refusal] : cases) EXPECT_EQ(error_of(content), file() + refusal) << content;
    }

    TempDir dir_;
};

TEST_F(NodeConfigTest, ReadsEveryKeyAndResolvesRelativePaths) {
    auto loaded = load_node_config(dir_.write("node.toml", R"(
[node]
name = "n1"
data_dir = "state"
log_format = "text"
log_level = "debug"
executor_threads = 3
drain_timeout_ms = 250

[[plugin]]
name = "audit"
path = "audit.so"
core = true
[plugin.config]
retention_days = 30

[[plugin]]
name = "extra"
path = "/opt/extra.so"
)"),
                                   "/usr/lib/lanchat/plugins");
    ASSERT_TRUE(loaded.ok()) << loaded.status().message();
    const NodeConfig& config = *loaded;
    EXPECT_EQ(config.node_name, "n1");
    EXPECT_EQ(config.data_dir, dir_.path() / "state");
    EXPECT_EQ(config.log_format, LogFormat::text);
    EXPECT_EQ(config.log_level, LANCHAT_LOG_DEBUG);
    EXPECT_EQ(config.executor_threads, 3u);
    EXPECT_EQ(config.drain_timeout, std::chrono::milliseconds(250));
    ASSERT_EQ(config.plugins.size(), 2u);
    EXPECT_EQ(config.plugins[0].path, "/usr/lib/lanchat/plugins/audit.so");
    EXPECT_TRUE(config.plugins[0].core);
    EXPECT_EQ(config.plugins[0].config->get("retention_days").integer_value, 30);
    EXPECT_EQ(config.plugins[1].path, "/opt/extra.so");
    EXPECT_FALSE(config.plugins[1].core);
    EXPECT_EQ(config.plugins[1].config->get("").kind, LANCHAT_CONFIG_TABLE);
}

TEST_F(NodeConfigTest, PluginDirFromTheFileIsRelativeToIt) {
    auto loaded = load_node_config(dir_.write("node.toml",
                                              "[node]\nname = \"n\"\nplugin_dir = \"p\"\n"
                                              "[[plugin]]\nname = \"a\"\npath = \"a.so\"\n"),
                                   "/ignored");
    ASSERT_TRUE(loaded.ok());
    EXPECT_EQ(loaded->plugins[0].path, dir_.path() / "p" / "a.so");
}

TEST_F(NodeConfigTest, SyntaxErrorNamesFileLineAndColumn) {
    EXPECT_EQ(error_of("[node]\nname = \"n\"\nname2 = \"unterminated\n"),
              file() +
                  ":3:22: TOML syntax error: Error while parsing string: unescaped control characters other than TAB "
                  "(U+0009) are explicitly prohibited");
}

TEST_F(NodeConfigTest, UnknownKeyIsNamedWithTheKnownOnes) {
    expect_refusals({
        {"[node]\nname = \"n\"\nnmae = \"x\"\n",
         ":3:1: unknown key 'nmae' in [node] (known keys: name, data_dir, plugin_dir, log_format, "
         "log_level, executor_threads, drain_timeout_ms, export_traces, export_traces_max_bytes)"},
        {"[node]\nname = \"n\"\n[[plugin]]\nname = \"a\"\npath = \"a.so\"\ncroe = true\n",
         ":6:1: unknown key 'croe' in [[plugin]] (known keys: name, path, core, config)"},
        {"[nodes]\nname = \"n\"\n",
         ":1:2: unknown key 'nodes' in the top level (known keys: node, "
         "plugin, mesh, discovery, authorization, admin, "
         "client_edge)"},
    });
}

TEST_F(NodeConfigTest, TheClientEdgeDefaultsToTheNodeCertificateAndChecksItsLimits) {
    const std::string mesh = "[node]\nname = \"n\"\n[mesh]\nlisten = \"127.0.0.1:0\"\npki_dir = \"pki\"\n";
    auto loaded =
        load_node_config(dir_.write("node.toml", mesh + "[client_edge]\nlisten = \"0.0.0.0:8443\"\n"), "/plugins");
    ASSERT_TRUE(loaded.ok()) << loaded.status().message();
    ASSERT_TRUE(loaded->client_edge.has_value());
    EXPECT_EQ(loaded->client_edge->listen, "0.0.0.0:8443");
    EXPECT_EQ(loaded->client_edge->certificate, dir_.path() / "pki/nodes/n/node.crt");
    EXPECT_EQ(loaded->client_edge->send_queue_bytes, 1024u * 1024u);
    expect_refusals({
        {"[node]\nname = \"n\"\n[client_edge]\n",
         ":3:1: [client_edge] needs a [mesh] table: the gateway calls the services through it"},
        {mesh + "[client_edge]\nthreads = 0\n", ":7:11: [client_edge] threads must be between 1 and 64, found 0"},
        {mesh + "[client_edge]\nlisten = \"8443\"\n",
         ":7:10: [client_edge] listen must be host:port, e.g. \"0.0.0.0:8443\""},
        {mesh + "[client_edge]\ncertificate = \"a.crt\"\n",
         ":6:1: [client_edge] certificate and key go together: give both or neither"},
    });
}

TEST_F(NodeConfigTest, APortOutsideZeroTo65535IsRefusedWhereItIs) {
    const std::string node = "[node]\nname = \"n\"\n";
    const std::string mesh = node + "[mesh]\nlisten = \"127.0.0.1:7443\"\npki_dir = \"pki\"\n";
    expect_refusals({
        {node + "[mesh]\nlisten = \"127.0.0.1:99999\"\npki_dir = \"pki\"\n",
         ":4:10: [mesh] listen must end in a port from 0 to 65535, found \"127.0.0.1:99999\""},
        {mesh + "[admin]\nlisten = \"127.0.0.1:http\"\n",
         ":7:10: [admin] listen must end in a port from 0 to 65535, found \"127.0.0.1:http\""},
        {mesh + "[client_edge]\nlisten = \"0.0.0.0:-1\"\n",
         ":7:10: [client_edge] listen must end in a port from 0 to 65535, found \"0.0.0.0:-1\""},
        {mesh + "[discovery]\naudit = [\"10.0.0.2:7443\", \"10.0.0.3:70000\"]\n",
         ":7:27: [discovery] audit must end in a port from 0 to 65535, found \"10.0.0.3:70000\""},
        {mesh + "[discovery]\naudit = [\"10.0.0.2\"]\n",
         ":7:10: [discovery] audit endpoints must be host:port, found \"10.0.0.2\""},
    });
    EXPECT_EQ(error_of(mesh + "[admin]\nlisten = \"[::1]:65535\"\n"), "");
}

TEST_F(NodeConfigTest, EtcdMembershipIsReadBesideTheStaticTableWithDefaults) {
    const std::string mesh = "[node]\nname = \"n\"\n[mesh]\nlisten = \"127.0.0.1:0\"\npki_dir = \"pki\"\n";
    auto defaults = load_node_config(
        dir_.write("node.toml", mesh + "[discovery]\netcd = [\"http://127.0.0.1:2379\", \"http://10.0.0.2:2379\"]\n"
                                       "audit = [\"10.0.0.3:7443\"]\n"),
        "/plugins");
    ASSERT_TRUE(defaults.ok()) << defaults.status().message();
    ASSERT_TRUE(defaults->mesh->etcd.has_value());
    EXPECT_EQ(defaults->mesh->etcd->endpoints,
              (std::vector<std::string>{"http://127.0.0.1:2379", "http://10.0.0.2:2379"}));
    EXPECT_EQ(defaults->mesh->etcd->endpoints_at, file() + ":7:8");
    EXPECT_EQ(defaults->mesh->etcd->lease_ttl, std::chrono::seconds(10));
    EXPECT_EQ(defaults->mesh->etcd->prefix, "/lanchat/nodes/");
    EXPECT_EQ(defaults->mesh->discovery,
              (std::map<std::string, std::vector<std::string>>{{"audit", {"10.0.0.3:7443"}}}));

    auto tuned = load_node_config(dir_.write("node.toml", mesh + "[discovery]\netcd = [\"http://[::1]:2379\"]\n"
                                                                 "etcd_lease_ttl_s = 3\netcd_prefix = \"/lab/\"\n"),
                                  "/plugins");
    ASSERT_TRUE(tuned.ok()) << tuned.status().message();
    EXPECT_EQ(tuned->mesh->etcd->lease_ttl, std::chrono::seconds(3));
    EXPECT_EQ(tuned->mesh->etcd->prefix, "/lab/");
    EXPECT_FALSE(load_node_config(dir_.write("node.toml", mesh), "/plugins")->mesh->etcd.has_value());
}

TEST_F(NodeConfigTest, BadEtcdSettingsAreRefusedWhereTheyAre) {
    const std::string mesh = "[node]\nname = \"n\"\n[mesh]\nlisten = \"127.0.0.1:0\"\npki_dir = \"pki\"\n";
    const std::string etcd = "[discovery]\netcd = [\"http://127.0.0.1:2379\"]\n";
    expect_refusals({
        {mesh + "[discovery]\netcd = [\"https://127.0.0.1:2379\"]\n",
         ":7:9: [discovery] etcd endpoints must be etcd client URLs such as \"http://127.0.0.1:2379\": " +
             url::parse_url("https://127.0.0.1:2379", {"http"}).status().message()},
        {mesh + "[discovery]\netcd = [\"127.0.0.1:2379\"]\n",
         ":7:9: [discovery] etcd endpoints must be etcd client URLs such as \"http://127.0.0.1:2379\": " +
             url::parse_url("127.0.0.1:2379", {"http"}).status().message()},
        {mesh + "[discovery]\netcd = []\n", ":7:8: [discovery] etcd must list at least one etcd client URL"},
        {mesh + "[discovery]\netcd = \"http://127.0.0.1:2379\"\n",
         ":7:8: [discovery] etcd must be an array of strings, found a string"},
        {mesh + etcd + "etcd_lease_ttl_s = 1\n",
         ":8:20: [discovery] etcd_lease_ttl_s must be between 2 and 3600, found 1"},
        {mesh + etcd + "etcd_prefix = \"/lanchat\"\n",
         ":8:15: [discovery] etcd_prefix must end in '/', e.g. \"/lanchat/nodes/\", found \"/lanchat\""},
        {mesh + "[discovery]\netcd_prefix = \"/lanchat/\"\n", ":7:15: [discovery] etcd_prefix needs [discovery] etcd"},
        {"[node]\nname = \"n\"\n[mesh]\nlisten = \"127.0.0.1:0\"\npki_dir = \"pki\"\nregistry = \"discovery\"\n" + etcd,
         ":8:8: [discovery] etcd and [mesh] registry are two memberships: keep one (etcd for a cluster, registry for "
         "the embedded Discovery service)"},
    });
}

TEST_F(NodeConfigTest, LocalCallsTakeTheInProcessPathUnlessTheFileSaysNetwork) {
    const std::string mesh = "[node]\nname = \"n\"\n[mesh]\nlisten = \"127.0.0.1:0\"\npki_dir = \"pki\"\n";
    auto by_default = load_node_config(dir_.write("node.toml", mesh), "/plugins");
    ASSERT_TRUE(by_default.ok()) << by_default.status().message();
    EXPECT_EQ(by_default->mesh->local_calls, LocalCalls::in_process);
    auto network = load_node_config(dir_.write("node.toml", mesh + "local_calls = \"network\"\n"), "/plugins");
    ASSERT_TRUE(network.ok()) << network.status().message();
    EXPECT_EQ(network->mesh->local_calls, LocalCalls::network);
    expect_refusals({
        {mesh + "local_calls = \"loopback\"\n",
         ":6:15: [mesh] local_calls must be \"in_process\" or \"network\", found \"loopback\""},
        {mesh + "local_calls = true\n", ":6:15: key 'local_calls' in [mesh] must be a string, found a boolean"},
    });
}

TEST_F(NodeConfigTest, MissingKeyIsNamed) {
    expect_refusals({
        {"[node]\ndata_dir = \"d\"\n", ":1:1: [node] is missing the required key 'name'"},
        {"[node]\nname = \"n\"\n[[plugin]]\nname = \"a\"\n", ":3:1: [[plugin]] 'a' is missing the required key 'path'"},
        {"[[plugin]]\nname = \"a\"\npath = \"a.so\"\n", ": missing the required table [node]"},
    });
}

TEST_F(NodeConfigTest, WrongTypeSaysWhatWasExpectedAndFound) {
    expect_refusals({
        {"[node]\nname = \"n\"\n[[plugin]]\nname = \"a\"\npath = \"a.so\"\ncore = \"yes\"\n",
         ":6:8: key 'core' in [[plugin]] 'a' must be a boolean, found a string"},
        {"[node]\nname = 7\n", ":2:8: key 'name' in [node] must be a string, found an integer"},
        {"[node]\nname = \"n\"\ndrain_timeout_ms = 1.5\n",
         ":3:20: key 'drain_timeout_ms' in [node] must be an integer, found a float"},
        {"[node]\nname = \"n\"\n[[plugin]]\nname = \"a\"\npath = \"a.so\"\nconfig = 3\n",
         ":6:10: key 'config' in [[plugin]] 'a' must be a table ([plugin.config]), found an integer"},
    });
}

TEST_F(NodeConfigTest, BadValuesAreRefused) {
    expect_refusals({
        {"[node]\nname = \"n\"\nlog_format = \"xml\"\n",
         ":3:14: [node] log_format must be \"json\" or \"text\", found \"xml\""},
        {"[node]\nname = \"n\"\nexecutor_threads = 0\n",
         ":3:20: [node] executor_threads must be between 1 and 256, found 0"},
        {"[node]\nname = \"n\"\nexport_traces_max_bytes = 1000\n",
         ":3:27: [node] export_traces_max_bytes must be at least 65536, found 1000"},
        {"[node]\nname = \"n\"\n[[plugin]]\nname = \"a b\"\npath = \"a.so\"\n",
         ":4:8: plugin name 'a b' must be non-empty without spaces, slashes or quotes"},
    });
}

TEST_F(NodeConfigTest, DuplicatePluginNameNamesBothPlaces) {
    EXPECT_EQ(
        error_of("[node]\nname = \"n\"\n[[plugin]]\nname = \"a\"\npath = \"a.so\"\n"
                 "[[plugin]]\nname = \"a\"\npath = \"b.so\"\n"),
        file() + ":6:1: duplicate plugin name 'a' (first defined at " + file() + ":3:1); plugin names must be unique");
}

TEST_F(NodeConfigTest, MissingFileIsNamed) {
    auto loaded = load_node_config(dir_.path() / "absent.toml", "/plugins");
    ASSERT_FALSE(loaded.ok());
    EXPECT_EQ(loaded.status().message(),
              (dir_.path() / "absent.toml").string() + ": config file not found (or not a regular file)");
}

TEST_F(NodeConfigTest, PluginConfigAnswersPathsAndPositions) {
    auto loaded = load_node_config(dir_.write("node.toml", R"([node]
name = "n"
[[plugin]]
name = "a"
path = "a.so"
[plugin.config]
peers = ["x:1", "y:2"]
limits = { body = 4096, ratio = 0.5, strict = true }
)"),
                                   "/p");
    ASSERT_TRUE(loaded.ok()) << loaded.status().message();
    const PluginConfig& config = *loaded->plugins[0].config;
    EXPECT_EQ(config.get("peers").kind, LANCHAT_CONFIG_ARRAY);
    EXPECT_EQ(config.get("peers").element_count, 2u);
    lanchat_config_value second = config.get("peers[1]");
    EXPECT_EQ(std::string(second.string_value.data, second.string_value.size), "y:2");
    EXPECT_EQ(config.get("limits.body").integer_value, 4096);
    EXPECT_DOUBLE_EQ(config.get("limits.ratio").float_value, 0.5);
    EXPECT_EQ(config.get("limits.strict").bool_value, 1);
    EXPECT_EQ(config.get("limits.absent").kind, LANCHAT_CONFIG_MISSING);
    EXPECT_EQ(config.get("peers[9]").kind, LANCHAT_CONFIG_MISSING);
    EXPECT_EQ(config.get("peers[x]").kind, LANCHAT_CONFIG_MISSING);
    EXPECT_EQ(config.get("limits.").kind, LANCHAT_CONFIG_MISSING);
    EXPECT_EQ(config.key_at("", 0).value_or(""), "limits");  // keys come in name order
    EXPECT_EQ(config.key_at("limits", 2).value_or(""), "strict");
    EXPECT_FALSE(config.key_at("limits", 3));
    EXPECT_EQ(config.where("limits.body"), file() + ":8:19");
    EXPECT_EQ(config.where("nothing"), file());
}

}  // namespace
}  // namespace lanchat::host

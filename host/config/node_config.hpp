// NodeConfig: the node TOML file, validated. Every error names the file, line, column and key.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/plugin_config.hpp"
#include "lanchat/sdk/status.hpp"
#include "logging/log.hpp"

namespace lanchat::host {

// One `[[plugin]]` entry.
struct PluginSpec {
    std::string name;
    std::filesystem::path path;  // absolute: relative paths are resolved against the plugin directory
    bool core = false;           // core plugins never reload
    std::string defined_at;      // "file:line" of the entry, for messages
    std::shared_ptr<const PluginConfig> config;
};

// How calls to services hosted on this node travel: straight to the serving instance's handler, or through
// the node's own gRPC server on loopback like calls to other nodes (what tests and benchmarks compare).
enum class LocalCalls { in_process, network };

// `[discovery] etcd`: the cluster's membership kept in etcd. The node registers itself under a lease it keeps
// alive and follows every other node's record by watching the prefix.
struct EtcdConfig {
    std::vector<std::string> endpoints;      // client URLs of the etcd members, "http://host:port"
    std::string endpoints_at;                // "file:line:column" of the setting, for messages
    std::chrono::seconds lease_ttl{10};      // a node that stops renewing its lease disappears this long after
    std::string prefix = "/lanchat/nodes/";  // each node's record is the key <prefix><node name>
};

// `[mesh]`, `[discovery]` and `[authorization]`: the node's mTLS gRPC server and how it calls others.
struct MeshConfig {
    std::string listen;             // "host:port"; port 0 picks a free one (the ready line names it)
    std::filesystem::path pki_dir;  // made by `lanchatctl pki`
    std::string pki_dir_at;         // "file:line:column" of the setting, for messages
    std::chrono::milliseconds default_deadline{2000};
    size_t max_message_bytes = 4 * 1024 * 1024;
    size_t stream_queue_limit = 1024;  // messages waiting for one slow streaming client
    LocalCalls local_calls = LocalCalls::in_process;
    std::string registry;  // logical service to register with ("discovery"); empty: none
    std::chrono::milliseconds heartbeat{5000};
    // logical service -> endpoints ("host:port"); services hosted here also resolve to this node
    std::map<std::string, std::vector<std::string>> discovery;
    std::optional<EtcdConfig> etcd;  // [discovery] etcd; absent: the static table and the registry only
    // rule (logical service, proto service or full method) -> allowed callers; replaces the default rule
    std::map<std::string, std::vector<std::string>> authorization;
};

// `[admin]`: the operators' HTTP endpoint.
struct AdminConfig {
    std::string listen = "127.0.0.1:9464";  // loopback: HTTP; anything else: HTTPS with operator certificates
    bool https = false;                     // HTTPS with operator certificates even on loopback
};

// `[client_edge]`: the HTTPS + WebSocket listener people's clients connect to; a plugin (the gateway) handles
// what arrives. TLS with the node certificate of the mesh PKI unless `certificate`/`key` name others.
struct ClientEdgeConfig {
    std::string listen = "127.0.0.1:8443";
    std::filesystem::path certificate;  // empty: <pki_dir>/nodes/<node>/node.crt
    std::filesystem::path key;
    unsigned threads = 2;  // event loops; each connection lives on one
    size_t max_connections = 20000;
    bool max_connections_given = false;       // false: the default, lowered to what the descriptor limit holds
    size_t max_connections_per_address = 64;  // from one IP address; more: closed at once
    size_t max_message_bytes = 64 * 1024;     // larger messages: close 1009
    size_t send_queue_bytes = 1024 * 1024;    // queued for a client that does not read: close 4008
    size_t socket_send_buffer_bytes = 0;      // SO_SNDBUF per connection; 0: the kernel's autotuning
    // From accept to the WebSocket upgrade (TLS and every HTTP request before it), and the closing handshake.
    std::chrono::milliseconds handshake_timeout{10000};
    std::chrono::milliseconds idle_timeout{60000};   // pings at half of it; no answer: the connection ends
    std::chrono::milliseconds write_timeout{30000};  // a write the client has not taken by then: close 4008
};

struct NodeConfig {
    std::filesystem::path file;
    std::string node_name;
    std::filesystem::path data_dir;
    std::filesystem::path plugin_dir;
    LogFormat log_format = LogFormat::json;
    lanchat_log_level log_level = LANCHAT_LOG_INFO;
    unsigned executor_threads = 2;
    std::chrono::milliseconds drain_timeout{5000};
    bool export_traces = false;                      // finished spans as OTLP/JSON lines in <data_dir>/traces.jsonl
    uint64_t export_traces_max_bytes = 64ull << 20;  // past this, traces.jsonl becomes traces.jsonl.1
    std::vector<PluginSpec> plugins;
    std::optional<MeshConfig> mesh;               // absent: the node serves and calls no RPC
    std::optional<AdminConfig> admin;             // absent: no admin endpoint
    std::optional<ClientEdgeConfig> client_edge;  // absent: no client listener
};

// Reads and validates `file`. `default_plugin_dir` applies when `[node] plugin_dir` is absent.
sdk::Result<NodeConfig> load_node_config(const std::filesystem::path& file,
                                         const std::filesystem::path& default_plugin_dir);

}  // namespace lanchat::host

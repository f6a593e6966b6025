// What the service integration tests (audit, auth, chat) share: a PKI made with lanchatctl, a node file
// hosting some plugins, and a running lanchatd with its mesh address.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "child_process.hpp"

namespace lanchat::testing {

// `lanchatctl pki init` (trust domain lan-chat.test), a node "n" hosting `services`, identities for test
// callers under nodes/clients/<caller>.{crt,key}, and clients/operator-<name>.{crt,key}. Throws on failure.
void make_service_pki(const std::string& lanchatctl, const std::filesystem::path& pki, const std::string& services,
                      const std::string& callers, const std::vector<std::string>& operators = {});

// A node file for node "n" (data in "data", mesh on a free loopback port) hosting the plugins in order,
// each with its [plugin.config] lines (may be empty).
std::string service_node_file(const std::filesystem::path& pki, const std::filesystem::path& plugin_dir,
                              const std::vector<std::pair<std::string, std::string>>& plugins);

// The services chat_node_file() hosts, for make_service_pki().
inline constexpr const char* kChatServices = "audit,identity,auth,channel,router,presence,gateway";

// A node file for node "n" hosting every chat service, as the all-in-one node does, with its client edge on
// a free loopback port, registration open and cheap password hashing (these tests log in often);
// `gateway_config` adds lines to the gateway's [plugin.config].
std::string chat_node_file(const std::filesystem::path& pki, const std::filesystem::path& plugin_dir,
                           const std::string& gateway_config = "");

// A running lanchatd and the addresses its "node ready" line names (empty when it does not listen there).
struct StartedNode {
    std::unique_ptr<ChildProcess> process;
    std::string grpc;     // the mesh, host:port
    std::string admin;    // the admin endpoint, host:port
    std::string clients;  // the client edge, host:port
};

// Starts lanchatd on `node_file` and waits for "node ready". Throws with the node's output when it does not
// become ready. `launcher` goes before lanchatd on its command line (e.g. a shell that lowers a limit, then
// execs it).
StartedNode start_node(const std::string& lanchatd, const std::filesystem::path& node_file,
                       std::vector<std::string> launcher = {});

// start_node() for the tests that use only the mesh: the process and its mesh address.
std::pair<std::unique_ptr<ChildProcess>, std::string> start_service_node(const std::string& lanchatd,
                                                                         const std::filesystem::path& node_file);

}  // namespace lanchat::testing

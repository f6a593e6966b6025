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

// Starts lanchatd on `node_file` and waits for "node ready"; returns the process and its mesh address.
// Throws with the node's output when it does not become ready.
std::pair<std::unique_ptr<ChildProcess>, std::string> start_service_node(const std::string& lanchatd,
                                                                         const std::filesystem::path& node_file);

}  // namespace lanchat::testing

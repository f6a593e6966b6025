#include "service_node.hpp"

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>

namespace lanchat::testing {

void make_service_pki(const std::string& lanchatctl, const std::filesystem::path& pki, const std::string& services,
                      const std::string& callers, const std::vector<std::string>& operators) {
    std::vector<std::vector<std::string>> steps = {{"init", "--trust-domain", "lan-chat.test"},
                                                   {"issue", "--node", "n", "--service", services},
                                                   {"issue", "--node", "clients", "--service", callers}};
    for (const std::string& name : operators) steps.push_back({"issue-client", "--operator", name});
    for (const auto& step : steps) {
        std::vector<std::string> argv = {lanchatctl, "pki", step[0], "--dir", pki.string()};
        argv.insert(argv.end(), step.begin() + 1, step.end());
        Completed done = run_to_exit(argv);
        if (done.exit_code != 0) throw std::runtime_error("lanchatctl pki " + step[0] + " failed: " + done.output);
    }
}

std::string service_node_file(const std::filesystem::path& pki, const std::filesystem::path& plugin_dir,
                              const std::vector<std::pair<std::string, std::string>>& plugins) {
    std::string text = "[node]\nname = \"n\"\ndata_dir = \"data\"\n[mesh]\nlisten = \"127.0.0.1:0\"\npki_dir = \"" +
                       pki.string() + "\"\n";
    for (const auto& [name, config] : plugins) {
        text += "[[plugin]]\nname = \"" + name + "\"\npath = \"" + (plugin_dir / (name + ".so")).string() + "\"\n";
        if (!config.empty()) text += "[plugin.config]\n" + config + "\n";
    }
    return text;
}

std::string chat_node_file(const std::filesystem::path& pki, const std::filesystem::path& plugin_dir,
                           const std::string& gateway_config) {
    return service_node_file(pki, plugin_dir,
                             {{"audit", ""},
                              {"identity", "argon2_memory_kib = 8192\nargon2_iterations = 1"},
                              {"auth", ""},
                              {"channel", ""},
                              {"router", ""},
                              {"presence", ""},
                              {"gateway", "allow_registration = true\n" + gateway_config}}) +
           "[client_edge]\nlisten = \"127.0.0.1:0\"\n";
}

StartedNode start_node(const std::string& lanchatd, const std::filesystem::path& node_file,
                       std::vector<std::string> launcher) {
    StartedNode node;
    launcher.insert(launcher.end(), {lanchatd, node_file.string()});
    node.process = std::make_unique<ChildProcess>(std::move(launcher));
    // Generous: under a sanitizer, beside a full parallel test run, seven plugins can take over 20 s to start.
    auto ready = node.process->wait_for_line("\"node ready\"", std::chrono::seconds(60));
    if (!ready) {
        std::optional<int> exit = node.process->wait_exit(std::chrono::milliseconds(100));
        throw std::runtime_error("lanchatd did not become ready (" +
                                 (exit ? "exit code " + std::to_string(*exit) : std::string("still running")) + "):\n" +
                                 node.process->output());
    }
    const nlohmann::json fields = nlohmann::json::parse(*ready)["fields"];
    node.grpc = fields.value("grpc", "");
    node.admin = fields.value("admin", "");
    // "https://host:port/" in the log, as a person would open it.
    std::string clients = fields.value("clients", "");
    const std::string scheme = "https://";
    if (clients.rfind(scheme, 0) == 0 && clients.back() == '/') clients = clients.substr(8, clients.size() - 9);
    node.clients = clients;
    return node;
}

std::pair<std::unique_ptr<ChildProcess>, std::string> start_service_node(const std::string& lanchatd,
                                                                         const std::filesystem::path& node_file) {
    StartedNode node = start_node(lanchatd, node_file);
    return {std::move(node.process), node.grpc};
}

}  // namespace lanchat::testing

#include "service_node.hpp"

#include <nlohmann/json.hpp>
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

std::pair<std::unique_ptr<ChildProcess>, std::string> start_service_node(const std::string& lanchatd,
                                                                         const std::filesystem::path& node_file) {
    auto node = std::make_unique<ChildProcess>(std::vector<std::string>{lanchatd, node_file.string()});
    auto ready = node->wait_for_line("\"node ready\"");
    if (!ready) throw std::runtime_error(node->output());
    std::string address = nlohmann::json::parse(*ready)["fields"]["grpc"];
    return {std::move(node), address};
}

}  // namespace lanchat::testing

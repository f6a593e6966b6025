#include "node_commands.hpp"

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <sstream>

#include "admin_client.hpp"
#include "lanchat/cli/arguments.hpp"
#include "lanchat/json/json_string.hpp"

namespace lanchat::ctl {

const char* const kNodeUsage =
    "lanchatctl [ADMIN OPTIONS] status [--json]      readiness and plugins at a glance\n"
    "lanchatctl [ADMIN OPTIONS] plugins [--json]     name, version, ABI, core, state, health, loaded at, file\n"
    "lanchatctl [ADMIN OPTIONS] health               live/ready; exit 0 only when ready\n"
    "lanchatctl [ADMIN OPTIONS] metrics [--json]     a readable summary of /metrics (all samples with --json)\n"
    "lanchatctl [ADMIN OPTIONS] reload NAME          asks the node to hot-reload plugin NAME\n"
    "ADMIN OPTIONS: --admin URL (default $LANCHAT_ADMIN or http://127.0.0.1:9464); for HTTPS either\n"
    "    --pki DIR --operator NAME (uses DIR/ca.crt and DIR/clients/operator-NAME.{crt,key}) or --ca --cert --key\n";

namespace {

using json::json_string;

constexpr int kOk = 0;
constexpr int kFailed = 1;
constexpr int kUsage = 2;

struct Sample {
    std::string name;
    std::map<std::string, std::string> labels;
    double value = 0;
};

// Parses the Prometheus text format's sample lines.
std::vector<Sample> parse_samples(const std::string& text) {
    std::vector<Sample> samples;
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
        if (line.empty() || line[0] == '#') continue;
        Sample sample;
        size_t i = line.find_first_of("{ ");
        sample.name = line.substr(0, i);
        if (i != std::string::npos && line[i] == '{') {
            ++i;
            while (i < line.size() && line[i] != '}') {
                size_t eq = line.find('=', i);
                std::string key = line.substr(i, eq - i);
                std::string value;
                size_t j = eq + 2;  // past ="
                for (; j < line.size() && line[j] != '"'; ++j) {
                    if (line[j] == '\\' && j + 1 < line.size()) {
                        ++j;
                        value += line[j] == 'n' ? '\n' : line[j];
                    } else {
                        value += line[j];
                    }
                }
                sample.labels[key] = value;
                i = j + 1;
                if (i < line.size() && line[i] == ',') ++i;
            }
            ++i;
        }
        sample.value = std::strtod(line.c_str() + line.find_first_not_of(' ', i), nullptr);
        samples.push_back(std::move(sample));
    }
    return samples;
}

int print_metrics(const std::string& text, bool json) {
    std::vector<Sample> samples = parse_samples(text);
    if (json) {
        std::cout << "[";
        for (size_t i = 0; i < samples.size(); ++i) {
            std::cout << (i ? ",\n " : "\n ") << "{\"name\":" << json_string(samples[i].name) << ",\"labels\":{";
            bool first = true;
            for (const auto& [key, value] : samples[i].labels) {
                std::cout << (first ? "" : ",") << json_string(key) << ":" << json_string(value);
                first = false;
            }
            char number[32];
            std::snprintf(number, sizeof number, "%.17g", samples[i].value);
            std::cout << "},\"value\":" << number << "}";
        }
        std::cout << "\n]\n";
        return kOk;
    }
    auto scalar = [&](const std::string& name) {
        for (const Sample& s : samples) {
            if (s.name == name) return s.value;
        }
        return 0.0;
    };
    std::printf("uptime            %.0f s\n", scalar("lanchat_uptime_seconds"));
    std::printf("resident memory   %.1f MiB\n", scalar("process_resident_memory_bytes") / (1024.0 * 1024.0));
    std::printf("open fds          %.0f (sockets %.0f)\n", scalar("process_open_fds"), scalar("lanchat_open_sockets"));
    std::map<std::string, std::map<std::string, double>> served, called;
    double refused = 0;
    for (const Sample& s : samples) {
        if (s.name == "lanchat_rpc_server_requests_total") {
            served[s.labels.at("service") + "/" + s.labels.at("method")][s.labels.at("code")] += s.value;
        } else if (s.name == "lanchat_rpc_client_requests_total") {
            called[s.labels.at("service") + " " + s.labels.at("method")][s.labels.at("code")] += s.value;
        } else if (s.name == "lanchat_rpc_refused_total") {
            refused += s.value;
        }
    }
    auto table = [](const char* title, const auto& rows) {
        std::printf("%s\n", title);
        if (rows.empty()) std::printf("  (none)\n");
        for (const auto& [method, codes] : rows) {
            std::string text;
            for (const auto& [code, count] : codes) text += " " + code + "=" + std::to_string(static_cast<long>(count));
            std::printf("  %-50s%s\n", method.c_str(), text.c_str());
        }
    };
    table("calls served:", served);
    table("calls made:", called);
    std::printf("calls refused by authorization: %.0f\n", refused);
    return kOk;
}

}  // namespace

int run_node_command(const std::string& command, const std::vector<std::string>& args) {
    cli::Arguments arguments(args, {"admin", "pki", "operator", "ca", "cert", "key"}, {"json"});
    if (arguments.error()) {
        std::cerr << "lanchatctl: " << *arguments.error() << "\n\n" << kNodeUsage;
        return kUsage;
    }
    AdminTarget target;
    if (const char* env = std::getenv("LANCHAT_ADMIN")) target.url = env;
    if (auto url = arguments.value("admin")) target.url = *url;
    if (auto pki = arguments.value("pki")) {
        std::string name = arguments.value("operator").value_or("");
        if (name.empty()) {
            std::cerr << "lanchatctl: --pki needs --operator NAME\n";
            return kUsage;
        }
        target.ca = std::filesystem::path(*pki) / "ca.crt";
        target.certificate = std::filesystem::path(*pki) / "clients" / ("operator-" + name + ".crt");
        target.key = std::filesystem::path(*pki) / "clients" / ("operator-" + name + ".key");
    }
    if (auto ca = arguments.value("ca")) target.ca = *ca;
    if (auto cert = arguments.value("cert")) target.certificate = *cert;
    if (auto key = arguments.value("key")) target.key = *key;
    const bool json = arguments.has("json");

    auto ask = [&](const std::string& method, const std::string& path) -> std::optional<AdminReply> {
        auto reply = admin_request(target, method, path);
        if (!reply.ok()) {
            std::cerr << "lanchatctl: " << reply.status().message() << "\n";
            return std::nullopt;
        }
        if (reply->status == 403 || reply->status == 401) {
            std::cerr << "lanchatctl: the node refused the request (" << reply->status << "): " << reply->body;
            return std::nullopt;
        }
        return *reply;
    };

    if (command == "reload") {
        if (arguments.positional().size() != 1) {
            std::cerr << "lanchatctl: reload needs one plugin NAME\n";
            return kUsage;
        }
        auto reply = ask("POST", "/plugins/" + arguments.positional()[0] + "/reload");
        if (!reply) return kFailed;
        std::cout << reply->body;
        return reply->status / 100 == 2 ? kOk : kFailed;
    }
    if (command == "plugins") {
        auto reply = ask("GET", "/plugins");
        if (!reply) return kFailed;
        std::cout << reply->body;
        return kOk;
    }
    if (command == "health" || command == "status") {
        auto live = ask("GET", "/health/live");
        if (!live) return kFailed;
        auto ready = ask("GET", "/health/ready");
        if (!ready) return kFailed;
        bool is_ready = ready->status == 200;
        if (command == "health") {
            if (json) {
                std::cout << "{\"live\":" << (live->status == 200 ? "true" : "false")
                          << ",\"ready\":" << (is_ready ? "true" : "false") << ",\"detail\":" << json_string(ready->body)
                          << "}\n";
            } else {
                std::cout << (live->status == 200 ? "live" : "not live") << ", " << ready->body;
            }
            return is_ready ? kOk : kFailed;
        }
        auto plugins = ask("GET", "/plugins");
        if (!plugins) return kFailed;
        if (json) {
            std::cout << "{\"ready\":" << (is_ready ? "true" : "false") << ",\"plugins\":" << plugins->body << "}\n";
        } else {
            std::cout << target.url << ": " << ready->body << plugins->body;
        }
        return kOk;
    }
    if (command == "metrics") {
        auto reply = ask("GET", "/metrics");
        if (!reply) return kFailed;
        return print_metrics(reply->body, json);
    }
    std::cerr << "lanchatctl: unknown command '" << command << "'\n\n" << kNodeUsage;
    return kUsage;
}

}  // namespace lanchat::ctl

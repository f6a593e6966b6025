#include "node_commands.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "admin_client.hpp"
#include "lanchat/cli/arguments.hpp"

namespace lanchat::ctl {

const char* const kNodeUsage =
    "lanchatctl [ADMIN OPTIONS] status [--json]      readiness and plugins at a glance\n"
    "lanchatctl [ADMIN OPTIONS] plugins [--json]     a table: name, version, ABI, core, state, health, loaded at, "
    "file\n"
    "lanchatctl [ADMIN OPTIONS] health [--live]      live/ready; exit 0 only when ready (with --live: while live,\n"
    "                                                ready or not, as a liveness probe wants)\n"
    "lanchatctl [ADMIN OPTIONS] metrics [--json]     a readable summary of /metrics and each plugin's own metrics\n"
    "                                                (all samples with --json)\n"
    "lanchatctl [ADMIN OPTIONS] reload NAME          asks the node to hot-reload plugin NAME\n"
    "ADMIN OPTIONS: --admin URL (default $LANCHAT_ADMIN or http://127.0.0.1:9464); for HTTPS either\n"
    "    --pki DIR --operator NAME (uses DIR/ca.crt and DIR/clients/operator-NAME.{crt,key}) or --ca --cert --key\n";

namespace {

constexpr int kOk = 0;
constexpr int kFailed = 1;
constexpr int kUsage = 2;

using Json = nlohmann::ordered_json;

// JSON for scripts; text from the node that is not UTF-8 is replaced rather than failing the command.
std::string text_of(const Json& json) { return json.dump(-1, ' ', false, Json::error_handler_t::replace); }

// The node's answer as JSON, or a message saying the node answered something else.
std::optional<Json> parse_answer(const AdminReply& reply, const std::string& path) {
    Json parsed = Json::parse(reply.body, nullptr, false);
    if (reply.status != 200 || parsed.is_discarded()) {
        std::cerr << "lanchatctl: the node's " << path << " answered " << reply.status
                  << " without JSON (is it older than this lanchatctl?)\n";
        return std::nullopt;
    }
    return parsed;
}

// All of /metrics as {"name", "labels", "value"} objects, one a line.
void print_samples(const Json& samples) {
    std::cout << "[";
    for (size_t i = 0; i < samples.size(); ++i) std::cout << (i ? ",\n " : "\n ") << text_of(samples[i]);
    std::cout << "\n]\n";
}

// The readable summary: process figures, then calls served and made by method and code.
void print_summary(const Json& status) {
    const Json& process = status["process"];
    std::printf("uptime            %.0f s\n", status.value("uptime_seconds", 0.0));
    std::printf("resident memory   %.1f MiB\n", process.value("resident_memory_bytes", 0.0) / (1024.0 * 1024.0));
    std::printf("open fds          %.0f (sockets %.0f)\n", process.value("open_fds", 0.0),
                process.value("open_sockets", 0.0));
    using Table = std::map<std::string, std::map<std::string, double>>;
    auto rows = [](const Json& counts, const char* separator) {
        Table table;
        for (const Json& count : counts) {
            table[count.value("service", "") + separator + count.value("method", "")][count.value("code", "")] +=
                count.value("count", 0.0);
        }
        return table;
    };
    auto print = [](const char* title, const Table& table) {
        std::printf("%s\n", title);
        if (table.empty()) std::printf("  (none)\n");
        for (const auto& [method, codes] : table) {
            std::string text;
            for (const auto& [code, count] : codes) text += " " + code + "=" + std::to_string(static_cast<long>(count));
            std::printf("  %-50s%s\n", method.c_str(), text.c_str());
        }
    };
    const Json& rpc = status["rpc"];
    print("calls served:", rows(rpc["served"], "/"));
    print("calls made:", rows(rpc["called"], " "));
    std::printf("calls refused by authorization: %.0f\n", rpc.value("refused", 0.0));
}

// The plugins as /plugins answers them, one a row under a header, each column as wide as its widest cell.
std::string plugins_table(const Json& plugins) {
    const std::vector<std::pair<std::string, std::string>> columns = {
        {"NAME", "name"},     {"VERSION", "version"},     {"ABI", "abi"},  {"CORE", "core"}, {"STATE", "state"},
        {"HEALTH", "health"}, {"LOADED AT", "loaded_at"}, {"FILE", "file"}};
    auto cell = [](const Json& plugin, const std::string& key) {
        const Json& value = plugin.contains(key) ? plugin[key] : Json();
        return value.is_string() ? value.get<std::string>() : value.is_null() ? "" : text_of(value);
    };
    std::vector<std::vector<std::string>> rows(1);
    for (const auto& [title, key] : columns) rows[0].push_back(title);
    for (const Json& plugin : plugins) {
        rows.emplace_back();
        for (const auto& [title, key] : columns) rows.back().push_back(cell(plugin, key));
    }
    std::vector<size_t> widths(columns.size(), 0);
    for (const auto& row : rows) {
        for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
    }
    std::string text;
    for (const auto& row : rows) {
        std::string line;
        for (size_t i = 0; i < row.size(); ++i) {
            line += row[i] + (i + 1 < row.size() ? std::string(widths[i] - row[i].size() + 2, ' ') : "");
        }
        text += line + "\n";
    }
    return text;
}

// Each plugin's own metrics (lanchat_<plugin>_<name>), one sample a line, from /metrics/samples.
void print_plugin_metrics(const Json& plugins, const Json& samples) {
    std::printf("plugins' own metrics:\n");
    size_t printed = 0;
    for (const Json& sample : samples) {
        const std::string name = sample.value("name", "");
        bool owned = false;
        for (const Json& plugin : plugins)
            owned = owned || name.rfind("lanchat_" + plugin.value("name", "") + "_", 0) == 0;
        if (!owned) continue;
        std::string labels;
        for (const auto& [key, value] : sample["labels"].items()) {
            labels += (labels.empty() ? "{" : ",") + key + "=\"" + value.get<std::string>() + "\"";
        }
        std::printf("  %-50s %s\n", (name + labels + (labels.empty() ? "" : "}")).c_str(),
                    text_of(sample["value"]).c_str());
        ++printed;
    }
    if (printed == 0) std::printf("  (none)\n");
}

// "ready\n", or "not ready\n" and one line per reason, as /health/ready says it.
std::string readiness_text(const Json& status) {
    if (status.value("ready", false)) return "ready\n";
    std::string text = "not ready\n";
    for (const Json& reason : status["not_ready"]) text += reason.get<std::string>() + "\n";
    return text;
}

}  // namespace

int run_node_command(const std::string& command, const std::vector<std::string>& args) {
    cli::Arguments arguments(args, {"admin", "pki", "operator", "ca", "cert", "key"}, {"json", "live"});
    if (arguments.help_requested()) {
        std::cout << kNodeUsage;
        return kOk;
    }
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
        if (json) {
            std::cout << reply->body;
            return kOk;
        }
        auto plugins = parse_answer(*reply, "/plugins");
        if (!plugins) return kFailed;
        std::cout << plugins_table(*plugins);
        return kOk;
    }
    if (command == "health") {
        auto live = ask("GET", "/health/live");
        if (!live) return kFailed;
        auto ready = ask("GET", "/health/ready");
        if (!ready) return kFailed;
        bool is_ready = ready->status == 200;
        if (json) {
            std::cout << text_of({{"live", live->status == 200}, {"ready", is_ready}, {"detail", ready->body}}) << "\n";
        } else {
            std::cout << (live->status == 200 ? "live" : "not live") << ", " << ready->body;
        }
        if (arguments.has("live")) return live->status == 200 ? kOk : kFailed;
        return is_ready ? kOk : kFailed;
    }
    if (command == "status" || command == "metrics") {
        const std::string path = command == "metrics" && json ? "/metrics/samples" : "/status";
        auto reply = ask("GET", path);
        if (!reply) return kFailed;
        auto answer = parse_answer(*reply, path);
        if (!answer) return kFailed;
        if (command == "metrics" && json) {
            print_samples(*answer);
        } else if (command == "metrics") {
            print_summary(*answer);
            auto samples = ask("GET", "/metrics/samples");
            if (!samples) return kFailed;
            auto parsed = parse_answer(*samples, "/metrics/samples");
            if (!parsed) return kFailed;
            print_plugin_metrics((*answer)["plugins"], *parsed);
        } else if (json) {
            std::cout << text_of(*answer) << "\n";
        } else {
            std::cout << target.url << ": " << readiness_text(*answer) << plugins_table((*answer)["plugins"]);
        }
        return kOk;
    }
    std::cerr << "lanchatctl: unknown command '" << command << "'\n\n" << kNodeUsage;
    return kUsage;
}

}  // namespace lanchat::ctl

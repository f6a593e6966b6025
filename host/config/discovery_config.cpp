#include "config/discovery_config.hpp"

#include <algorithm>

#include "lanchat/url/url.hpp"

namespace lanchat::host {
namespace {

using node_file::check_port;
using node_file::Reader;
using node_file::string_list;

// `[discovery] etcd` and its settings; the table's other keys are services and their endpoints.
constexpr std::string_view kEtcdKeys[] = {"etcd", "etcd_lease_ttl_s", "etcd_prefix"};

std::optional<EtcdConfig> read_etcd(const Reader& reader, const toml::table& discovery) {
    const toml::node* endpoints = discovery.get("etcd");
    if (endpoints == nullptr) {
        for (std::string_view key : {"etcd_lease_ttl_s", "etcd_prefix"}) {
            if (const toml::node* orphan = discovery.get(key))
                reader.fail(*orphan, "[discovery] " + std::string(key) + " needs [discovery] etcd");
        }
        return std::nullopt;
    }
    EtcdConfig etcd;
    etcd.endpoints = string_list(reader, *endpoints, "[discovery] etcd");
    etcd.endpoints_at = reader.at(*endpoints);
    if (etcd.endpoints.empty()) reader.fail(*endpoints, "[discovery] etcd must list at least one etcd client URL");
    for (size_t i = 0; i < etcd.endpoints.size(); ++i) {
        if (auto parsed = url::parse_url(etcd.endpoints[i], {"http"}); !parsed.ok()) {
            reader.fail(*endpoints->as_array()->get(i),
                        "[discovery] etcd endpoints must be etcd client URLs such as \"http://127.0.0.1:2379\": " +
                            parsed.status().message());
        }
    }
    const int64_t ttl =
        reader.optional<int64_t>(discovery, "etcd_lease_ttl_s", "[discovery]", "an integer").value_or(10);
    if (ttl < 2 || ttl > 3600) {  // etcd grants no lease under 2 s with its default timing
        reader.fail(*discovery.get("etcd_lease_ttl_s"),
                    "[discovery] etcd_lease_ttl_s must be between 2 and 3600, found " + std::to_string(ttl));
    }
    etcd.lease_ttl = std::chrono::seconds(ttl);
    etcd.prefix =
        reader.optional<std::string>(discovery, "etcd_prefix", "[discovery]", "a string").value_or(etcd.prefix);
    if (etcd.prefix.empty() || etcd.prefix.back() != '/') {
        reader.fail(*discovery.get("etcd_prefix"),
                    "[discovery] etcd_prefix must end in '/', e.g. \"/lanchat/nodes/\", found \"" + etcd.prefix + "\"");
    }
    return etcd;
}

// The static part of `[discovery]`: service -> host:port endpoints.
std::map<std::string, std::vector<std::string>> read_static_discovery(const Reader& reader,
                                                                      const toml::table& discovery) {
    std::map<std::string, std::vector<std::string>> services;
    for (const auto& [key, value] : discovery) {
        const std::string service(key.str());
        if (std::find(std::begin(kEtcdKeys), std::end(kEtcdKeys), service) != std::end(kEtcdKeys)) continue;
        const std::string setting = "[discovery] " + service;
        services[service] = string_list(reader, value, setting);
        for (const toml::node& endpoint : *value.as_array()) {
            const std::string& address = endpoint.as_string()->get();
            if (address.find(':') == std::string::npos)
                reader.fail(endpoint, setting + " endpoints must be host:port, found \"" + address + "\"");
            check_port(reader, endpoint, setting, address);
        }
    }
    return services;
}

}  // namespace

void read_discovery(const Reader& reader, const toml::table& root, MeshConfig& settings) {
    const toml::node* node = root.get("discovery");
    const toml::table* discovery = node ? node->as_table() : nullptr;
    if (node && !discovery) reader.fail(*node, "[discovery] must be a table");
    if (!discovery) return;
    settings.discovery = read_static_discovery(reader, *discovery);
    settings.etcd = read_etcd(reader, *discovery);
    if (settings.etcd && !settings.registry.empty()) {
        reader.fail(*discovery->get("etcd"),
                    "[discovery] etcd and [mesh] registry are two memberships: keep one (etcd for a cluster, "
                    "registry for the embedded Discovery service)");
    }
}

}  // namespace lanchat::host

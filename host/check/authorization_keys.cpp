#include "check/authorization_keys.hpp"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor_database.h>

#include <set>
#include <string_view>

#include "mesh/authorization.hpp"

namespace lanchat::host {
namespace {

// The logical services of the contracts in this process (package lanchat.<name>.v1), and those the default
// rules name.
std::set<std::string> known_logical_services() {
    std::set<std::string> services;
    for (const auto& [key, callers] : mesh::AuthorizationPolicy::default_rules()) {
        if (key.find_first_of("./") == std::string::npos) services.insert(key);
    }
    std::vector<std::string> files;
    google::protobuf::DescriptorPool::internal_generated_database()->FindAllFileNames(&files);
    for (const std::string& name : files) {
        const google::protobuf::FileDescriptor* file =
            google::protobuf::DescriptorPool::generated_pool()->FindFileByName(name);
        if (file == nullptr) continue;
        for (int i = 0; i < file->service_count(); ++i) {
            std::string logical = mesh::AuthorizationPolicy::logical_service("/" + file->service(i)->full_name() + "/");
            if (!logical.empty()) services.insert(logical);
        }
    }
    return services;
}

// "/package.Service/Method": a service with a package, and a method name.
bool is_full_method(std::string_view key) {
    if (key.size() < 2 || key[0] != '/') return false;
    size_t slash = key.find('/', 1);
    if (slash == std::string_view::npos || slash + 1 == key.size()) return false;
    std::string_view service = key.substr(1, slash - 1);
    return service.find('.') != std::string_view::npos && key.find('/', slash + 1) == std::string_view::npos;
}

bool is_proto_service(std::string_view key) {
    return key.find('/') == std::string_view::npos && key.find('.') != std::string_view::npos && key.front() != '.' &&
           key.back() != '.';
}

std::string joined(const std::set<std::string>& names) {
    std::string text;
    for (const std::string& name : names) text += (text.empty() ? "" : ", ") + name;
    return text;
}

}  // namespace

sdk::Status check_authorization_keys(const NodeConfig& config) {
    if (!config.mesh) return {};
    const std::set<std::string> logical = known_logical_services();
    for (const auto& [key, callers] : config.mesh->authorization) {
        if (is_full_method(key) || is_proto_service(key) || logical.count(key) != 0) continue;
        return sdk::invalid_argument(
            config.file.string() + ": [authorization] key '" + key +
            "' names no service, so it authorizes nothing: a key is a proto service (\"acme.greeter.v1.Greeter\"), "
            "a full method (\"/acme.greeter.v1.Greeter/Say\"), or the name of a lanchat.<name>.v1 service (" +
            joined(logical) + ")");
    }
    return {};
}

}  // namespace lanchat::host

#include "abi/host_api.hpp"

#include "abi/slice.hpp"
#include "abi/tables.hpp"

namespace lanchat::host::abi {

const char* host_version() { return LANCHAT_VERSION; }

HostApiTable::HostApiTable(std::string node_name, const lanchat_rpc_api* rpc)
    : node_name_(std::move(node_name)), host_version_(host_version()) {
    api_.struct_size = sizeof(api_);
    api_.abi_major = LANCHAT_ABI_MAJOR;
    api_.abi_minor = LANCHAT_ABI_MINOR;
    api_.host_version = to_str(host_version_);
    api_.node_name = to_str(node_name_);
    api_.log = log_api_table();
    api_.config = config_api_table();
    api_.health = health_api_table();
    api_.executor = executor_api_table();
    api_.rpc = rpc;
    api_.metrics = metrics_api_table();
    api_.discovery = discovery_api_table();
    api_.client_edge = client_edge_api_table();
}

}  // namespace lanchat::host::abi

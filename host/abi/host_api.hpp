// HostApiTable: the lanchat_host_api one node hands to all its plugins, assembled from the tables in
// abi/tables.hpp. The strings it lends (node name, host version) live in the object.
#pragma once

#include <string>

#include "lanchat/plugin_abi.h"

namespace lanchat::host::abi {

class HostApiTable {
public:
    // `rpc` is the rpc table (abi::rpc_api_table() in lanchatd); without a mesh its functions answer UNAVAILABLE.
    HostApiTable(std::string node_name, const lanchat_rpc_api* rpc);
    HostApiTable(const HostApiTable&) = delete;
    HostApiTable& operator=(const HostApiTable&) = delete;

    // Valid as long as this object; every instance of the node keeps it until it is destroyed.
    const lanchat_host_api* get() const { return &api_; }

private:
    std::string node_name_;
    std::string host_version_;
    lanchat_host_api api_{};
};

// The version string lanchatd reports (also the table's host_version).
const char* host_version();

}  // namespace lanchat::host::abi

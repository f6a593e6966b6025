// The host's side of each table in plugin_abi.h, in the header's order. Each table is static, shared by
// every plugin of the process, and finds the calling instance through the lanchat_host_context it is given.
#pragma once

#include "lanchat/plugin_abi.h"

namespace lanchat::host::abi {

const lanchat_log_api* log_api_table();                  // log_api.cpp
const lanchat_config_api* config_api_table();            // config_api.cpp
const lanchat_health_api* health_api_table();            // health_api.cpp
const lanchat_executor_api* executor_api_table();        // executor_api.cpp
const lanchat_rpc_api* rpc_api_table();                  // rpc_api.cpp (since 1.1)
const lanchat_metrics_api* metrics_api_table();          // metrics_api.cpp (since 1.2)
const lanchat_discovery_api* discovery_api_table();      // discovery_api.cpp (since 1.6)
const lanchat_client_edge_api* client_edge_api_table();  // client_edge_api.cpp (since 1.3)

}  // namespace lanchat::host::abi

// InboundCall: one call a plugin is serving, whichever way it arrived (through the node's gRPC server, or in
// process from a plugin of this node). The ABI's lanchat_rpc_call is a handle to one, so the plugin's
// write() and finish() reach the right transport without knowing which it is.
#pragma once

#include <cstdint>
#include <string>

#include "lanchat/plugin_abi.h"

namespace lanchat::host::mesh {

// What an inbound call hands down to the calls its handler makes.
struct CallLineage {
    std::string correlation_id;
    std::string trace_id;
    std::string span_id;  // the inbound call's server span: the parent of the spans of calls it makes
    uint64_t deadline_unix_ms = 0;
};

class InboundCall {
public:
    virtual ~InboundCall() = default;
    // lanchat_rpc_api.write and .finish, with the contracts plugin_abi.h gives them.
    virtual lanchat_status_code write(lanchat_bytes message) = 0;
    virtual void finish(lanchat_status_code code, lanchat_str message, lanchat_bytes response) = 0;
    virtual CallLineage lineage() const = 0;
};

// The ABI's functions on an inbound call (lanchat_rpc_api.write and .finish), and the lineage of the call
// named as an outbound call's parent (empty for NULL).
lanchat_status_code write_call(lanchat_rpc_call* call, lanchat_bytes message);
void finish_call(lanchat_rpc_call* call, lanchat_status_code code, lanchat_str message, lanchat_bytes response);
CallLineage lineage_of(const lanchat_rpc_call* call);

}  // namespace lanchat::host::mesh

// The plugin's handle is a member of the call it names, so it stays valid while the call does.
struct lanchat_rpc_call {
    lanchat::host::mesh::InboundCall* call;
};

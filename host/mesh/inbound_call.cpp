#include "mesh/inbound_call.hpp"

namespace lanchat::host::mesh {

lanchat_status_code write_call(lanchat_rpc_call* call, lanchat_bytes message) {
    if (call == nullptr) return LANCHAT_INVALID_ARGUMENT;
    return call->call->write(message);
}

void finish_call(lanchat_rpc_call* call, lanchat_status_code code, lanchat_str message, lanchat_bytes response) {
    if (call != nullptr) call->call->finish(code, message, response);
}

CallLineage lineage_of(const lanchat_rpc_call* call) { return call == nullptr ? CallLineage{} : call->call->lineage(); }

}  // namespace lanchat::host::mesh

// lanchat_health_api: what a plugin says of its own health, shown to operators and on grpc.health.v1.
#include <string>

#include "abi/slice.hpp"
#include "abi/tables.hpp"
#include "runtime/host_context.hpp"

namespace lanchat::host::abi {
namespace {

void health_set(lanchat_host_context* ctx, lanchat_health_status status, lanchat_str reason) {
    if (status < LANCHAT_HEALTH_UNKNOWN || status > LANCHAT_HEALTH_NOT_SERVING) status = LANCHAT_HEALTH_UNKNOWN;
    ctx->set_health(status, std::string(view(reason)), true);
}

const lanchat_health_api kHealthApi = {sizeof(lanchat_health_api), &health_set};

}  // namespace

const lanchat_health_api* health_api_table() { return &kHealthApi; }

}  // namespace lanchat::host::abi

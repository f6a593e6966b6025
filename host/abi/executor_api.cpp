// lanchat_executor_api: a plugin's timers and tasks, on the node's executor, owned by the calling instance.
#include "abi/tables.hpp"
#include "runtime/host_context.hpp"

namespace lanchat::host::abi {
namespace {

lanchat_timer_id executor_schedule(lanchat_host_context* ctx, uint64_t delay_ms, uint64_t period_ms, lanchat_task_fn fn,
                                   lanchat_task_fn release, void* user) {
    if (fn == nullptr) return 0;
    return ctx->executor->schedule(ctx, delay_ms, period_ms, fn, release, user);
}

void executor_cancel(lanchat_host_context* ctx, lanchat_timer_id id) { ctx->executor->cancel(ctx, id); }

const lanchat_executor_api kExecutorApi = {sizeof(lanchat_executor_api), &executor_schedule, &executor_cancel};

}  // namespace

const lanchat_executor_api* executor_api_table() { return &kExecutorApi; }

}  // namespace lanchat::host::abi

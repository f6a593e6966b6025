#include "mesh/grpc_log.hpp"

#include <grpc/support/log.h>

#include <atomic>
#include <string>
#include <vector>

#include "logging/log.hpp"

namespace lanchat::host::mesh {
namespace {

std::atomic<NodeLog*> g_log{nullptr};

void forward(gpr_log_func_args* args) {
    NodeLog* log = g_log.load();
    if (log == nullptr) return;
    lanchat_log_level level = args->severity == GPR_LOG_SEVERITY_ERROR  ? LANCHAT_LOG_WARN
                              : args->severity == GPR_LOG_SEVERITY_INFO ? LANCHAT_LOG_INFO
                                                                        : LANCHAT_LOG_DEBUG;
    std::vector<LogField> fields = {{"source", std::string(args->file) + ":" + std::to_string(args->line)}};
    log->write({level, "grpc", args->message, {}, {}, &fields});
}

}  // namespace

void route_grpc_logs(NodeLog& log) {
    g_log.store(&log);
    gpr_set_log_function(&forward);
}

}  // namespace lanchat::host::mesh

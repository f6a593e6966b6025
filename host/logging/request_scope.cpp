#include "logging/request_scope.hpp"

namespace lanchat::host {
namespace {
thread_local RequestIds t_current;
}

RequestIds current_request() { return t_current; }

RequestScope::RequestScope(std::string_view correlation_id, std::string_view trace_id) : previous_(t_current) {
    t_current = {correlation_id, trace_id};
}

RequestScope::~RequestScope() { t_current = previous_; }

}  // namespace lanchat::host

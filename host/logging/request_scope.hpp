// RequestScope: the request a thread is working for, so every log line written meanwhile — by the host or
// by plugin code it calls — carries that request's correlation and trace ids.
#pragma once

#include <string_view>

namespace lanchat::host {

struct RequestIds {
    std::string_view correlation_id;
    std::string_view trace_id;
};

// The ids of the request the calling thread serves; empty outside any request.
RequestIds current_request();

// Sets the calling thread's request for its lifetime (restoring the previous one). The strings must outlive it.
class RequestScope {
public:
    RequestScope(std::string_view correlation_id, std::string_view trace_id);
    ~RequestScope();
    RequestScope(const RequestScope&) = delete;
    RequestScope& operator=(const RequestScope&) = delete;

private:
    RequestIds previous_;
};

}  // namespace lanchat::host

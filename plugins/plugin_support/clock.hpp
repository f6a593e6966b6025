// The wall clock as the services record it: unix milliseconds.
#pragma once

#include <chrono>
#include <cstdint>

namespace lanchat::plugin_support {

inline int64_t unix_ms_now() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace lanchat::plugin_support

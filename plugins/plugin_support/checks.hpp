// Input checks the services share, each returning INVALID_ARGUMENT that names the field.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "lanchat/sdk/status.hpp"
#include "text.hpp"

namespace lanchat::plugin_support {

// How many rows one page of a list call holds: `fallback` when the request asks for none (0), never more
// than `max`.
struct PageLimits {
    uint32_t fallback = 50;
    uint32_t max = 500;

    constexpr uint32_t size_for(uint32_t requested) const {
        return requested == 0 ? fallback : std::min(requested, max);
    }
};

// Ids the services exchange (user, channel, device, edge ids) are opaque, non-empty, at most 64 bytes.
constexpr size_t kMaxIdBytes = 64;

inline sdk::Status check_id(const char* what, const std::string& id) {
    if (id.empty() || id.size() > kMaxIdBytes) {
        return sdk::invalid_argument(std::string(what) + " is required (at most " + std::to_string(kMaxIdBytes) +
                                     " bytes)");
    }
    return {};
}

// UTF-8 text of at most `limit` bytes; empty is refused when `required`.
inline sdk::Status check_utf8(const char* what, const std::string& text, size_t limit, bool required) {
    if (required && text.empty()) return sdk::invalid_argument(std::string(what) + " is required");
    if (text.size() > limit) {
        return sdk::invalid_argument(std::string(what) + " is " + std::to_string(text.size()) + " bytes; at most " +
                                     std::to_string(limit));
    }
    if (!is_valid_utf8(text)) return sdk::invalid_argument(std::string(what) + " is not valid UTF-8");
    return {};
}

}  // namespace lanchat::plugin_support

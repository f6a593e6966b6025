// lanchat_str and lanchat_bytes as the host reads and lends them. A plugin may pass {NULL, n}: it reads as empty.
#pragma once

#include <cstdint>
#include <string_view>

#include "lanchat/plugin_abi.h"

namespace lanchat::host::abi {

inline std::string_view view(lanchat_str text) {
    return text.data == nullptr ? std::string_view{} : std::string_view{text.data, text.size};
}

inline std::string_view view(lanchat_bytes bytes) {
    return bytes.data == nullptr ? std::string_view{}
                                 : std::string_view{reinterpret_cast<const char*>(bytes.data), bytes.size};
}

// Lends `text` to a plugin for one call: the string_view's storage must outlive the call.
inline lanchat_str to_str(std::string_view text) { return {text.data(), text.size()}; }

inline lanchat_bytes to_bytes(std::string_view bytes) {
    return {reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()};
}

}  // namespace lanchat::host::abi

// The two sides of ABI negotiation as the SDK sees them: the version a plugin was built against, and the
// version of the host that loaded it, recorded by the entry symbol LANCHAT_PLUGIN exports.
#pragma once

#include <atomic>
#include <cstdint>

#include "lanchat/plugin_abi.h"

namespace lanchat::sdk {

struct AbiVersion {
    uint16_t major = 0;
    uint16_t minor = 0;

    // True when a side of this version has everything `wanted` defines: the same major, a minor as new.
    constexpr bool provides(AbiVersion wanted) const { return major == wanted.major && minor >= wanted.minor; }
    friend constexpr bool operator==(AbiVersion, AbiVersion) = default;
};

// What this plugin was compiled against (its descriptor says the same to the host).
inline constexpr AbiVersion kBuiltAbiVersion{LANCHAT_ABI_MAJOR, LANCHAT_ABI_MINOR};

namespace detail {

// One per plugin library (plugins are built with hidden visibility): written by the entry symbol, which
// the host calls before any other code of the library, read from any thread afterwards.
inline std::atomic<AbiVersion>& loading_host_abi() {
    static std::atomic<AbiVersion> version{AbiVersion{}};
    return version;
}

inline void record_host_abi(uint16_t major, uint16_t minor) { loading_host_abi().store({major, minor}); }

}  // namespace detail

// The ABI of the host that loaded this library, as it told the entry symbol; {0, 0} before the host has
// called it. An instance has the same numbers in Host::host_abi_version().
inline AbiVersion host_abi_version() { return detail::loading_host_abi().load(); }

}  // namespace lanchat::sdk

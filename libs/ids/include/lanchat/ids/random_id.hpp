// Random identifiers: the one generator the host (trace, span and correlation ids), the PKI (certificate
// serials) and the plugins (user, channel, token ids, salts) draw from. Every byte comes from the
// operating system's CSPRNG through OpenSSL's RAND_bytes, so an id is also safe where it must be unguessable.
//
// Header only, so a plugin compiles it with its own flags (hidden visibility, no GNU unique symbols: nothing
// here has static storage) and carries no copy of a host library.
#pragma once

#include <openssl/rand.h>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace lanchat::ids {

/// `count` bytes from the CSPRNG. Throws std::runtime_error if the generator fails (it is never seeded
/// badly silently: OpenSSL refuses instead).
inline std::string random_bytes(size_t count) {
    std::string bytes(count, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(count)) != 1) {
        throw std::runtime_error("the system's random number generator failed");
    }
    return bytes;
}

/// Lower-case hex, two digits per byte.
inline std::string to_hex(std::string_view bytes) {
    std::string hex;
    hex.reserve(bytes.size() * 2);
    for (char byte : bytes) {
        const auto value = static_cast<uint8_t>(byte);
        hex += "0123456789abcdef"[value >> 4];
        hex += "0123456789abcdef"[value & 0xF];
    }
    return hex;
}

/// `bytes` random bytes as 2 * `bytes` lower-case hex digits: 16 for a trace id, 8 for a span id.
inline std::string random_hex(size_t bytes) { return to_hex(random_bytes(bytes)); }

/// `prefix` + 16 random hex digits, e.g. "u_3f2a9c0d11e4b7a5".
inline std::string random_id(std::string_view prefix) { return std::string(prefix) + random_hex(8); }

}  // namespace lanchat::ids

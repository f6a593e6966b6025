// Small checks and encodings the services share: UTF-8 validity, random identifiers and tokens, hex.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace lanchat::plugin_support {

// True when `text` is well-formed UTF-8 (no overlong forms, surrogates or code points above U+10FFFF).
bool is_valid_utf8(std::string_view text);

// `count` bytes from the operating system's CSPRNG (OpenSSL RAND_bytes); throws if it fails.
std::string random_bytes(size_t count);

std::string to_hex(std::string_view bytes);

// `prefix` + 16 random hex digits, e.g. "u_3f2a9c0d11e4b7a5".
std::string random_id(std::string_view prefix);

// Base64url without padding (RFC 4648 §5), as JWTs and opaque tokens use.
std::string base64url_encode(std::string_view bytes);
// Empty and false when `text` has characters outside the alphabet, padding, or an impossible length.
bool base64url_decode(std::string_view text, std::string& bytes);

// Hex SHA-256 of `bytes`.
std::string sha256_hex(std::string_view bytes);

}  // namespace lanchat::plugin_support

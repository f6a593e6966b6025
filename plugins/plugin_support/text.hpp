// Small checks and encodings the services share: UTF-8 validity, base64url, SHA-256. Random ids and bytes
// come from lanchat/ids/random_id.hpp.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace lanchat::plugin_support {

// True when `text` is well-formed UTF-8 (no overlong forms, surrogates or code points above U+10FFFF).
bool is_valid_utf8(std::string_view text);

// Base64url without padding (RFC 4648 §5), as JWTs and opaque tokens use.
std::string base64url_encode(std::string_view bytes);
// Empty and false when `text` has characters outside the alphabet, padding, or an impossible length.
bool base64url_decode(std::string_view text, std::string& bytes);

// Hex SHA-256 of `bytes`.
std::string sha256_hex(std::string_view bytes);

}  // namespace lanchat::plugin_support

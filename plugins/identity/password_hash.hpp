// Argon2id password hashes in the PHC string format ($argon2id$v=19$m=...,t=...,p=...$salt$hash), so each
// stored hash carries the parameters it was made with and they can be raised later.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "lanchat/sdk/status.hpp"

namespace lanchat::identity {

struct Argon2Parameters {
    uint32_t memory_kib = 65536;  // OWASP's 2023 minimum for Argon2id is 19 MiB; 64 MiB is RFC 9106's second choice
    uint32_t iterations = 3;
    uint32_t parallelism = 1;
};

sdk::Result<std::string> hash_password(std::string_view password, const Argon2Parameters& parameters);

// Constant-time comparison inside libargon2; false for a malformed hash as well as a wrong password.
bool password_matches(const std::string& encoded_hash, std::string_view password);

// True when `encoded_hash` was made with weaker parameters than `current` (or cannot be read).
bool needs_rehash(const std::string& encoded_hash, const Argon2Parameters& current);

}  // namespace lanchat::identity

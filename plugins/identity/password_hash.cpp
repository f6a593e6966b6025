#include "password_hash.hpp"

#include <argon2.h>

#include <cstdio>

#include "lanchat/ids/random_id.hpp"

namespace lanchat::identity {

namespace {
constexpr uint32_t kSaltBytes = 16;
constexpr uint32_t kHashBytes = 32;
}  // namespace

sdk::Result<std::string> hash_password(std::string_view password, const Argon2Parameters& parameters) {
    const std::string salt = ids::random_bytes(kSaltBytes);
    std::string encoded(argon2_encodedlen(parameters.iterations, parameters.memory_kib, parameters.parallelism,
                                          kSaltBytes, kHashBytes, Argon2_id),
                        '\0');
    int result =
        argon2id_hash_encoded(parameters.iterations, parameters.memory_kib, parameters.parallelism, password.data(),
                              password.size(), salt.data(), salt.size(), kHashBytes, encoded.data(), encoded.size());
    if (result != ARGON2_OK) return sdk::internal_error(std::string("argon2id: ") + argon2_error_message(result));
    encoded.resize(encoded.find('\0'));
    return encoded;
}

bool password_matches(const std::string& encoded_hash, std::string_view password) {
    return argon2id_verify(encoded_hash.c_str(), password.data(), password.size()) == ARGON2_OK;
}

bool needs_rehash(const std::string& encoded_hash, const Argon2Parameters& current) {
    unsigned memory = 0, iterations = 0, parallelism = 0, version = 0;
    if (std::sscanf(encoded_hash.c_str(), "$argon2id$v=%u$m=%u,t=%u,p=%u$", &version, &memory, &iterations,
                    &parallelism) != 4) {
        return true;
    }
    return memory < current.memory_kib || iterations < current.iterations || parallelism < current.parallelism;
}

}  // namespace lanchat::identity

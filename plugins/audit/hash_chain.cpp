#include "hash_chain.hpp"

#include <openssl/evp.h>

#include <map>

namespace lanchat::audit {
namespace {

void put(std::string& out, const std::string& field) {
    uint64_t size = field.size();
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((size >> (8 * i)) & 0xff));
    out += field;
}

}  // namespace

std::string entry_hash(const v1::Entry& entry) {
    std::string encoded;
    put(encoded, std::to_string(entry.sequence()));
    put(encoded, entry.actor());
    put(encoded, entry.action());
    put(encoded, entry.target());
    put(encoded, entry.outcome());
    put(encoded, entry.correlation_id());
    put(encoded, std::to_string(entry.time_unix_ms()));
    std::map<std::string, std::string> details(entry.details().begin(), entry.details().end());
    put(encoded, std::to_string(details.size()));
    for (const auto& [key, value] : details) {
        put(encoded, key);
        put(encoded, value);
    }
    put(encoded, entry.idempotency_key());
    put(encoded, entry.recorded_by());
    put(encoded, entry.previous_hash());
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_Digest(encoded.data(), encoded.size(), digest, &length, EVP_sha256(), nullptr);
    static const char* hex = "0123456789abcdef";
    std::string text;
    for (unsigned int i = 0; i < length; ++i) {
        text += hex[digest[i] >> 4];
        text += hex[digest[i] & 0xf];
    }
    return text;
}

}  // namespace lanchat::audit

#include "hash_chain.hpp"

#include <map>

#include "text.hpp"

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
    return plugin_support::sha256_hex(encoded);
}

}  // namespace lanchat::audit

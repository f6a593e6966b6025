// The audit hash chain: each entry's hash covers its own fields and the previous entry's hash.
#pragma once

#include <string>

#include "lanchat/audit/v1/audit.pb.h"

namespace lanchat::audit {

// Hex SHA-256 over a length-prefixed encoding of every field except `hash` (details in key order).
std::string entry_hash(const v1::Entry& entry);

}  // namespace lanchat::audit

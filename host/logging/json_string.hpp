// JSON string escaping (RFC 8259) for the log line writer, which builds each line by hand because it is
// the host's hottest path (README, Written by hand, and why). Everything else uses nlohmann_json.
#pragma once

#include <string>
#include <string_view>

namespace lanchat::host::json {

// Appends `text` to `out` as a quoted JSON string.
void append_json_string(std::string& out, std::string_view text);

// `text` as a quoted JSON string.
inline std::string json_string(std::string_view text) {
    std::string out;
    append_json_string(out, text);
    return out;
}

}  // namespace lanchat::host::json

// JSON string escaping (RFC 8259) for the writers that build a line at a time: the log, the trace file.
#pragma once

#include <string>
#include <string_view>

namespace lanchat::json {

// Appends `text` to `out` as a quoted JSON string.
void append_json_string(std::string& out, std::string_view text);

// `text` as a quoted JSON string.
inline std::string json_string(std::string_view text) {
    std::string out;
    append_json_string(out, text);
    return out;
}

}  // namespace lanchat::json

#include "channel_name.hpp"

#include <cstdint>

#include "checks.hpp"

namespace lanchat::channel {
namespace {

// The code point starting at text[at] (valid UTF-8 is checked first), and how many bytes it takes.
char32_t code_point_at(const std::string& text, size_t at, size_t& length) {
    const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[at + i]); };
    if (byte(0) < 0x80) return length = 1, byte(0);
    if (byte(0) < 0xE0) return length = 2, ((byte(0) & 0x1F) << 6) | (byte(1) & 0x3F);
    if (byte(0) < 0xF0) return length = 3, ((byte(0) & 0x0F) << 12) | ((byte(1) & 0x3F) << 6) | (byte(2) & 0x3F);
    return length = 4, ((byte(0) & 0x07) << 18) | ((byte(1) & 0x3F) << 12) | ((byte(2) & 0x3F) << 6) | (byte(3) & 0x3F);
}

// Unicode's White_Space property, and the zero-width characters that look like nothing.
bool is_space(char32_t c) {
    return c == 0x20 || (c >= 0x09 && c <= 0x0D) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200D) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000 ||
           c == 0xFEFF;
}

bool is_control(char32_t c) { return c < 0x20 || (c >= 0x7F && c <= 0x9F); }

}  // namespace

sdk::Status check_channel_name(const std::string& name) {
    if (name.empty()) return sdk::invalid_argument("a channel needs a name (one word, at most 64 bytes)");
    if (name.size() > kMaxChannelNameBytes) {
        return sdk::invalid_argument("the channel name is " + std::to_string(name.size()) + " bytes long: at most " +
                                     std::to_string(kMaxChannelNameBytes) + " bytes");
    }
    if (sdk::Status checked = plugin_support::check_utf8("name", name, kMaxChannelNameBytes, true); !checked.ok()) {
        return checked;
    }
    for (size_t at = 0, length = 0; at < name.size(); at += length) {
        char32_t c = code_point_at(name, at, length);
        if (is_space(c)) {
            return sdk::invalid_argument("the channel name '" + name +
                                         "' holds a space: a name is one word (join words with - or _)");
        }
        if (is_control(c)) return sdk::invalid_argument("the channel name holds a control character");
    }
    return {};
}

}  // namespace lanchat::channel

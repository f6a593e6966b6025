// Bridges between the ABI's copy-in sinks and slices and C++ strings.
#pragma once

#include <string>
#include <string_view>

#include "lanchat/plugin_abi.h"

namespace lanchat::sdk {

// A lanchat_sink that appends whatever the other side writes to a std::string it owns. Either side of the
// boundary uses it: a plugin to read what the host writes back, the host to collect what a plugin writes.
// It lives on the caller's stack for the one call it is passed to.
class StringSink {
public:
    StringSink() : sink_{sizeof(lanchat_sink), this, &StringSink::append} {}
    StringSink(const StringSink&) = delete;
    StringSink& operator=(const StringSink&) = delete;

    lanchat_sink* get() { return &sink_; }
    std::string& text() { return text_; }

private:
    static void append(void* user, const void* data, size_t size) {
        if (size != 0) static_cast<StringSink*>(user)->text_.append(static_cast<const char*>(data), size);
    }

    std::string text_;
    lanchat_sink sink_;
};

// Copies `text` into a sink the other side handed over; a NULL sink, or one without write, is skipped.
inline void write_to(lanchat_sink* sink, std::string_view text) {
    if (sink != nullptr && sink->write != nullptr) sink->write(sink->user, text.data(), text.size());
}

}  // namespace lanchat::sdk

namespace lanchat::sdk::detail {

constexpr lanchat_str to_abi(std::string_view text) { return {text.data(), text.size()}; }

constexpr std::string_view from_abi(lanchat_str text) {
    return text.size == 0 ? std::string_view{} : std::string_view{text.data, text.size};
}

}  // namespace lanchat::sdk::detail

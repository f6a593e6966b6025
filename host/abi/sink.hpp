// The host's side of lanchat_sink: collecting what a plugin writes, and writing into a sink a plugin passed.
// The SDK has its own copies on the plugin's side; the host keeps these so it never reaches into sdk::detail.
#pragma once

#include <string>
#include <string_view>

#include "lanchat/plugin_abi.h"

namespace lanchat::host::abi {

// A sink the host passes to a plugin (an error, exported state, an HTTP body); each write appends to text().
// Lives on the host's stack for the one call it is passed to.
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

// Copies `text` into a sink a plugin handed the host; a NULL sink, or one without write, is skipped.
inline void write_to(lanchat_sink* sink, std::string_view text) {
    if (sink != nullptr && sink->write != nullptr) sink->write(sink->user, text.data(), text.size());
}

}  // namespace lanchat::host::abi

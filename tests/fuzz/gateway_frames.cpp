// The gateway's reading of a client's text frame: parse_frame, then every typed accessor a request handler
// may use on each field the frame carries, then the answer frame. A Refusal is the expected answer to a bad
// frame; any other exception escaping is a bug (the fuzzer reports it as a crash).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "frames.hpp"

namespace {

using lanchat::gateway::Fields;
using lanchat::gateway::json;
using lanchat::gateway::Refusal;

template <class Read>
void refused_or_read(Read&& read) {
    try {
        read();
    } catch (const Refusal&) {
    }
}

void read_every_field(const json& frame) {
    Fields fields(frame);
    for (const auto& [key, value] : frame.items()) {
        const char* name = key.c_str();
        refused_or_read([&] { fields.text(name, lanchat::gateway::kMaxText); });
        refused_or_read([&] { fields.text(name, lanchat::gateway::kMaxId, false); });
        refused_or_read([&] { fields.optional_text(name, lanchat::gateway::kMaxToken); });
        refused_or_read([&] { fields.sequence(name); });
        refused_or_read([&] { fields.optional_sequence(name); });
        refused_or_read([&] { fields.flag(name); });
        refused_or_read([&] { fields.id_list(name, 100); });
        refused_or_read([&] { fields.positions(name); });
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    std::string request_id;
    try {
        json frame = lanchat::gateway::parse_frame(text, request_id);
        read_every_field(frame);
        (void)lanchat::gateway::ok_frame(request_id, frame);
    } catch (const Refusal& refusal) {
        (void)lanchat::gateway::error_frame(request_id, refusal.code, refusal.what());
    }
    return 0;
}

// The edge's WebSocket frame reader over a client's bytes, split into the pieces the input chooses (as
// reads deliver them), with a message limit the input chooses too. Checks what the reader promises: a text
// message is valid UTF-8 within the limit, a control payload is at most 125 bytes, nothing after a violation.
#include <fuzzer/FuzzedDataProvider.h>

#include <array>
#include <cstdlib>
#include <string>

#include "client_edge/ws_frames.hpp"

namespace {

using lanchat::host::edge::FrameEvent;

void require(bool holds) {
    if (!holds) std::abort();
}

void check(const FrameEvent& event, size_t max_message_bytes) {
    switch (event.kind) {
        case FrameEvent::Kind::text:
            require(event.payload.size() <= max_message_bytes);
            require(lanchat::host::edge::valid_utf8(event.payload));
            break;
        case FrameEvent::Kind::ping:
        case FrameEvent::Kind::pong:
        case FrameEvent::Kind::close: require(event.payload.size() <= 125); break;
        case FrameEvent::Kind::violation: require(event.code >= 1000); break;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    FuzzedDataProvider input(data, size);
    size_t max_message_bytes = input.ConsumeIntegralInRange<size_t>(1, 4096);
    lanchat::host::edge::FrameReader reader(max_message_bytes);
    bool violated = false;
    while (input.remaining_bytes() > 0) {
        std::string piece = input.ConsumeRandomLengthString(256);
        std::string_view bytes = piece;
        while (auto event = reader.next(bytes)) {
            require(!violated);
            check(*event, max_message_bytes);
            violated = event->kind == FrameEvent::Kind::violation;
            std::array<char, 10> header{};
            size_t written = lanchat::host::edge::write_frame_header(lanchat::host::edge::Opcode::text,
                                                                     event->payload.size(), header);
            require(written >= 2 && written <= header.size());
        }
    }
    return 0;
}

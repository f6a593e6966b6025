// RFC 6455 framing, the server's side and nothing else: a client's masked frames read as they arrive (any
// split of the bytes), checked against the protocol and the edge's limits, and the header of a frame the
// server sends. No I/O, no allocation but the message being assembled.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace lanchat::host::edge {

// Close codes of RFC 6455 the framing itself decides (the edge's own are in dispatcher.hpp).
constexpr uint16_t kCloseNormal = 1000;
constexpr uint16_t kCloseProtocolError = 1002;
constexpr uint16_t kCloseNoCode = 1005;  // a close frame without a code
constexpr uint16_t kCloseBadText = 1007;
constexpr uint16_t kCloseTooBig = 1009;

enum class Opcode : uint8_t { continuation = 0x0, text = 0x1, binary = 0x2, close = 0x8, ping = 0x9, pong = 0xA };

// One thing a client's bytes amounted to.
struct FrameEvent {
    enum class Kind { text, ping, pong, close, violation };
    Kind kind;
    // text: the whole message; ping/pong: the payload; close and violation: the reason. Valid until the
    // reader's next call.
    std::string_view payload;
    uint16_t code = 0;  // close: the code the client sent (1005 without one); violation: the code to close with
};

class FrameReader {
public:
    explicit FrameReader(size_t max_message_bytes) : max_message_bytes_(max_message_bytes) {}

    // Consumes bytes from the front of `bytes` until one event is complete and returns it, or returns nothing
    // once every byte was consumed without completing one. After a violation it reads nothing more.
    std::optional<FrameEvent> next(std::string_view& bytes);

private:
    struct Header {
        bool fin = false;
        Opcode opcode = Opcode::continuation;
        uint64_t length = 0;
        std::array<uint8_t, 4> mask{};
    };

    size_t header_size() const;  // how many header bytes this frame has, as far as they are known yet
    std::optional<FrameEvent> start_frame();
    std::optional<FrameEvent> violation(uint16_t code, std::string_view reason);
    void take_payload(std::string_view& bytes);
    std::optional<FrameEvent> finish_frame();
    std::optional<FrameEvent> finish_close();

    size_t max_message_bytes_;
    std::array<uint8_t, 14> header_bytes_{};
    size_t header_have_ = 0;
    bool in_payload_ = false;
    Header frame_;
    uint64_t payload_have_ = 0;
    bool in_message_ = false;  // a text message's first frame came, its final one not yet
    bool delivered_ = false;   // message_ was handed out: it is cleared at the next call
    bool failed_ = false;
    std::string message_;
    std::array<char, 125> control_{};
};

// True when `text` is well-formed UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF).
bool valid_utf8(std::string_view text);

// A close frame's payload is at most 125 bytes, 2 of them the code.
constexpr size_t kMaxCloseReason = 123;

// `reason` cut to fit a close frame, at a character boundary: the client must be able to read it as UTF-8.
std::string_view close_reason_within_limit(std::string_view reason);

// Writes the header of an unmasked, final server frame of `opcode` carrying `payload_size` bytes into `out`;
// returns how many bytes it took (2 to 10).
size_t write_frame_header(Opcode opcode, size_t payload_size, std::span<char, 10> out);

}  // namespace lanchat::host::edge

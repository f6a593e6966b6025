#include "client_edge/ws_frames.hpp"

#include <algorithm>

#include "client_edge/dispatcher.hpp"

namespace lanchat::host::edge {
namespace {

constexpr size_t kMaxControlPayload = 125;

bool is_control(Opcode opcode) { return (static_cast<uint8_t>(opcode) & 0x8) != 0; }

bool known_opcode(uint8_t opcode) { return opcode <= 0x2 || (opcode >= 0x8 && opcode <= 0xA); }

// The codes a client may put in a close frame (RFC 6455 7.4).
bool valid_close_code(uint16_t code) {
    if (code >= 3000 && code <= 4999) return true;
    return code >= 1000 && code <= 1011 && code != 1004 && code != 1005 && code != 1006;
}

}  // namespace

bool valid_utf8(std::string_view text) {
    const auto* at = reinterpret_cast<const unsigned char*>(text.data());
    const auto* end = at + text.size();
    while (at < end) {
        unsigned char lead = *at;
        if (lead < 0x80) {
            ++at;
            continue;
        }
        size_t extra = 0;
        uint32_t low = 0;  // the smallest code point this length may carry: anything below is overlong
        uint32_t point = 0;
        if ((lead & 0xE0) == 0xC0) {
            extra = 1, low = 0x80, point = lead & 0x1F;
        } else if ((lead & 0xF0) == 0xE0) {
            extra = 2, low = 0x800, point = lead & 0x0F;
        } else if ((lead & 0xF8) == 0xF0) {
            extra = 3, low = 0x10000, point = lead & 0x07;
        } else {
            return false;
        }
        if (static_cast<size_t>(end - at) <= extra) return false;
        for (size_t i = 1; i <= extra; ++i) {
            if ((at[i] & 0xC0) != 0x80) return false;
            point = (point << 6) | (at[i] & 0x3F);
        }
        if (point < low || point > 0x10FFFF || (point >= 0xD800 && point <= 0xDFFF)) return false;
        at += extra + 1;
    }
    return true;
}

size_t write_frame_header(Opcode opcode, size_t payload_size, std::span<char, 10> out) {
    out[0] = static_cast<char>(0x80 | static_cast<uint8_t>(opcode));
    if (payload_size < 126) {
        out[1] = static_cast<char>(payload_size);
        return 2;
    }
    if (payload_size <= 0xFFFF) {
        out[1] = 126;
        out[2] = static_cast<char>(payload_size >> 8);
        out[3] = static_cast<char>(payload_size & 0xFF);
        return 4;
    }
    out[1] = 127;
    for (int i = 0; i < 8; ++i)
        out[2 + i] = static_cast<char>((static_cast<uint64_t>(payload_size) >> (56 - 8 * i)) & 0xFF);
    return 10;
}

size_t FrameReader::header_size() const {
    if (header_have_ < 2) return 2;
    uint8_t length7 = header_bytes_[1] & 0x7F;
    size_t extended = length7 == 126 ? 2 : length7 == 127 ? 8 : 0;
    return 2 + extended + 4;  // every client frame carries a mask key; one without is refused at its start
}

std::optional<FrameEvent> FrameReader::violation(uint16_t code, std::string_view reason) {
    failed_ = true;
    message_.clear();
    return FrameEvent{FrameEvent::Kind::violation, reason, code};
}

std::optional<FrameEvent> FrameReader::next(std::string_view& bytes) {
    if (delivered_) {
        delivered_ = false;
        message_.clear();
        if (message_.capacity() > 1024) std::string().swap(message_);  // an idle connection keeps no big buffer
    }
    while (!failed_ && !bytes.empty()) {
        if (!in_payload_) {
            while (header_have_ < header_size() && !bytes.empty()) {
                header_bytes_[header_have_++] = static_cast<uint8_t>(bytes.front());
                bytes.remove_prefix(1);
                if (header_have_ == 2 && (header_bytes_[1] & 0x80) == 0) {
                    return violation(kCloseProtocolError, "client frames must be masked");
                }
            }
            if (header_have_ < header_size()) return std::nullopt;
            if (auto refused = start_frame()) return refused;
            if (frame_.length > 0) continue;
        }
        take_payload(bytes);
        if (payload_have_ < frame_.length) return std::nullopt;
        if (auto event = finish_frame()) return event;
    }
    return std::nullopt;
}

std::optional<FrameEvent> FrameReader::start_frame() {
    uint8_t first = header_bytes_[0];
    frame_.fin = (first & 0x80) != 0;
    if ((first & 0x70) != 0) return violation(kCloseProtocolError, "reserved bits set: no extension was agreed");
    if (!known_opcode(first & 0x0F)) return violation(kCloseProtocolError, "unknown opcode");
    frame_.opcode = static_cast<Opcode>(first & 0x0F);
    uint8_t length7 = header_bytes_[1] & 0x7F;
    size_t at = 2;
    if (length7 < 126) {
        frame_.length = length7;
    } else {
        size_t width = length7 == 126 ? 2 : 8;
        frame_.length = 0;
        for (size_t i = 0; i < width; ++i) frame_.length = (frame_.length << 8) | header_bytes_[at + i];
        at += width;
        if (frame_.length >> 63) return violation(kCloseProtocolError, "frame length over 2^63");
    }
    std::copy_n(header_bytes_.begin() + static_cast<std::ptrdiff_t>(at), 4, frame_.mask.begin());
    header_have_ = 0;
    in_payload_ = true;
    payload_have_ = 0;
    if (is_control(frame_.opcode)) {
        if (!frame_.fin) return violation(kCloseProtocolError, "control frames cannot be fragmented");
        if (frame_.length > kMaxControlPayload) return violation(kCloseProtocolError, "control frame over 125 bytes");
        return std::nullopt;
    }
    if (frame_.opcode == Opcode::binary) {
        return violation(kCloseUnsupported, "binary frames are not accepted: send JSON text");
    }
    if (frame_.opcode == Opcode::continuation && !in_message_) {
        return violation(kCloseProtocolError, "continuation frame without a message to continue");
    }
    if (frame_.opcode == Opcode::text && in_message_) {
        return violation(kCloseProtocolError, "new message before the previous one's final frame");
    }
    if (message_.size() + frame_.length > max_message_bytes_)
        return violation(kCloseTooBig, "message over the size limit");
    in_message_ = true;
    return std::nullopt;
}

void FrameReader::take_payload(std::string_view& bytes) {
    size_t count = static_cast<size_t>(std::min<uint64_t>(frame_.length - payload_have_, bytes.size()));
    char* into = nullptr;
    if (is_control(frame_.opcode)) {
        into = control_.data() + payload_have_;
    } else {
        size_t old_size = message_.size();
        message_.resize(old_size + count);
        into = message_.data() + old_size;
    }
    for (size_t i = 0; i < count; ++i) {
        into[i] = static_cast<char>(static_cast<uint8_t>(bytes[i]) ^ frame_.mask[(payload_have_ + i) % 4]);
    }
    payload_have_ += count;
    bytes.remove_prefix(count);
}

std::optional<FrameEvent> FrameReader::finish_frame() {
    in_payload_ = false;
    std::string_view control(control_.data(), static_cast<size_t>(payload_have_));
    switch (frame_.opcode) {
        case Opcode::ping: return FrameEvent{FrameEvent::Kind::ping, control};
        case Opcode::pong: return FrameEvent{FrameEvent::Kind::pong, control};
        case Opcode::close: return finish_close();
        case Opcode::text:
        case Opcode::continuation:
        case Opcode::binary: break;
    }
    if (!frame_.fin) return std::nullopt;
    in_message_ = false;
    if (!valid_utf8(message_)) return violation(kCloseBadText, "text message is not valid UTF-8");
    delivered_ = true;
    return FrameEvent{FrameEvent::Kind::text, message_};
}

std::optional<FrameEvent> FrameReader::finish_close() {
    failed_ = true;  // nothing a client sends after its close frame counts
    if (payload_have_ == 0) return FrameEvent{FrameEvent::Kind::close, {}, kCloseNoCode};
    if (payload_have_ == 1) return violation(kCloseProtocolError, "close frame with a one-byte payload");
    auto code = static_cast<uint16_t>((static_cast<uint8_t>(control_[0]) << 8) | static_cast<uint8_t>(control_[1]));
    std::string_view reason(control_.data() + 2, static_cast<size_t>(payload_have_) - 2);
    if (!valid_close_code(code)) return violation(kCloseProtocolError, "close frame with an invalid code");
    if (!valid_utf8(reason)) return violation(kCloseBadText, "close reason is not valid UTF-8");
    return FrameEvent{FrameEvent::Kind::close, reason, code};
}

std::string_view close_reason_within_limit(std::string_view reason) {
    if (reason.size() <= kMaxCloseReason) return reason;
    size_t end = kMaxCloseReason;
    // Back over continuation bytes (10xxxxxx) to the lead byte of the character the limit falls in.
    while (end > 0 && (static_cast<unsigned char>(reason[end]) & 0xC0) == 0x80) --end;
    return reason.substr(0, end);
}

}  // namespace lanchat::host::edge

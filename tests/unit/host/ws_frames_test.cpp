#include "client_edge/ws_frames.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace lanchat::host::edge {
namespace {

constexpr size_t kLimit = 1024;

// A client frame as a browser sends it: masked, with the given first byte (FIN, RSV, opcode).
std::string client_frame(uint8_t first, std::string_view payload, bool masked = true) {
    std::string frame(1, static_cast<char>(first));
    uint8_t mask_bit = masked ? 0x80 : 0;
    if (payload.size() < 126) {
        frame += static_cast<char>(mask_bit | payload.size());
    } else if (payload.size() <= 0xFFFF) {
        frame += static_cast<char>(mask_bit | 126);
        frame += static_cast<char>(payload.size() >> 8);
        frame += static_cast<char>(payload.size() & 0xFF);
    } else {
        frame += static_cast<char>(mask_bit | 127);
        for (int i = 7; i >= 0; --i) frame += static_cast<char>((payload.size() >> (8 * i)) & 0xFF);
    }
    const char mask[4] = {0x11, 0x22, 0x33, 0x44};
    if (masked) frame.append(mask, 4);
    for (size_t i = 0; i < payload.size(); ++i)
        frame += masked ? static_cast<char>(payload[i] ^ mask[i % 4]) : payload[i];
    return frame;
}

std::string text(std::string_view payload) { return client_frame(0x81, payload); }

// Every event the bytes amount to, as lines, fed `step` bytes at a time.
std::vector<std::string> events(const std::string& bytes, size_t step = 1 << 20, size_t limit = kLimit) {
    FrameReader reader(limit);
    std::vector<std::string> seen;
    for (size_t at = 0; at < bytes.size(); at += step) {
        std::string_view chunk(bytes.data() + at, std::min(step, bytes.size() - at));
        while (auto event = reader.next(chunk)) {
            switch (event->kind) {
                case FrameEvent::Kind::text: seen.push_back("text " + std::string(event->payload)); break;
                case FrameEvent::Kind::ping: seen.push_back("ping " + std::string(event->payload)); break;
                case FrameEvent::Kind::pong: seen.push_back("pong " + std::string(event->payload)); break;
                case FrameEvent::Kind::close:
                    seen.push_back("close " + std::to_string(event->code) + " " + std::string(event->payload));
                    break;
                case FrameEvent::Kind::violation: seen.push_back("violation " + std::to_string(event->code)); break;
            }
        }
    }
    return seen;
}

using Lines = std::vector<std::string>;

TEST(FrameReaderTest, AMaskedTextFrameIsUnmaskedHoweverTheBytesAreSplit) {
    std::string bytes = text("hello") + text(std::string(300, 'x')) + text("");
    Lines expected{"text hello", "text " + std::string(300, 'x'), "text "};
    EXPECT_EQ(events(bytes), expected);
    EXPECT_EQ(events(bytes, 1), expected);
    EXPECT_EQ(events(bytes, 7), expected);
}

TEST(FrameReaderTest, FragmentsMakeOneMessageAndControlFramesBetweenThemComeFirst) {
    std::string bytes = client_frame(0x01, "hel") + client_frame(0x89, "are you there") + client_frame(0x00, "lo ") +
                        client_frame(0x8A, "") + client_frame(0x80, "world");
    Lines expected{"ping are you there", "pong ", "text hello world"};
    EXPECT_EQ(events(bytes), expected);
    EXPECT_EQ(events(bytes, 3), expected);
}

TEST(FrameReaderTest, AMessageOverTheLimitIs1009EvenWhenItsFragmentsAreSmall) {
    EXPECT_EQ(events(text(std::string(kLimit + 1, 'x'))), Lines{"violation 1009"});
    EXPECT_EQ(events(text(std::string(kLimit, 'x'))).size(), 1u);
    std::string fragments = client_frame(0x01, std::string(kLimit / 2, 'x')) +
                            client_frame(0x00, std::string(kLimit / 2, 'x')) + client_frame(0x80, "x");
    EXPECT_EQ(events(fragments), Lines{"violation 1009"});
}

TEST(FrameReaderTest, TextThatIsNotUtf8Is1007AlsoWhenACharacterIsSplitAcrossFragments) {
    EXPECT_EQ(events(text("caf\xC3\xA9")), Lines{"text caf\xC3\xA9"});
    EXPECT_EQ(events(client_frame(0x01, "caf\xC3") + client_frame(0x80, "\xA9")), Lines{"text caf\xC3\xA9"});
    EXPECT_EQ(events(text("\xC3")), Lines{"violation 1007"});
    EXPECT_EQ(events(text("\xC0\xAF")), Lines{"violation 1007"});          // overlong
    EXPECT_EQ(events(text("\xED\xA0\x80")), Lines{"violation 1007"});      // a surrogate
    EXPECT_EQ(events(text("\xF4\x90\x80\x80")), Lines{"violation 1007"});  // above U+10FFFF
}

TEST(FrameReaderTest, BinaryIs1003AndBrokenFramingIs1002) {
    EXPECT_EQ(events(client_frame(0x82, "\x01\x02")), Lines{"violation 1003"});
    EXPECT_EQ(events(client_frame(0xC1, "x")), Lines{"violation 1002"});                    // RSV1 without an extension
    EXPECT_EQ(events(client_frame(0x83, "x")), Lines{"violation 1002"});                    // unknown data opcode
    EXPECT_EQ(events(client_frame(0x8B, "x")), Lines{"violation 1002"});                    // unknown control opcode
    EXPECT_EQ(events(client_frame(0x81, "x", false)), Lines{"violation 1002"});             // not masked
    EXPECT_EQ(events(client_frame(0x80, "x")), Lines{"violation 1002"});                    // continuation of nothing
    EXPECT_EQ(events(client_frame(0x09, "x")), Lines{"violation 1002"});                    // fragmented ping
    EXPECT_EQ(events(client_frame(0x89, std::string(126, 'x'))), Lines{"violation 1002"});  // ping over 125
    EXPECT_EQ(events(client_frame(0x01, "a") + text("b")), Lines{"violation 1002"});        // new message mid-message
}

TEST(FrameReaderTest, NothingIsReadAfterAViolationOrAClose) {
    EXPECT_EQ(events(client_frame(0x82, "x") + text("after")), Lines{"violation 1003"});
    EXPECT_EQ(events(client_frame(0x88,
                                  "\x03\xE8"
                                  "bye") +
                     text("after")),
              Lines{"close 1000 bye"});
}

TEST(FrameReaderTest, CloseFramesCarryTheirCodeAndReasonAndBadOnesAreRefused) {
    EXPECT_EQ(events(client_frame(0x88, "")), Lines{"close 1005 "});
    EXPECT_EQ(events(client_frame(0x88,
                                  "\x0F\xA0"
                                  "done")),
              Lines{"close 4000 done"});
    EXPECT_EQ(events(client_frame(0x88, "\x03")), Lines{"violation 1002"});          // one byte
    EXPECT_EQ(events(client_frame(0x88, "\x03\xED")), Lines{"violation 1002"});      // 1005 is never sent
    EXPECT_EQ(events(client_frame(0x88, "\x03\xE8\xC3")), Lines{"violation 1007"});  // reason not UTF-8
}

TEST(FrameHeaderTest, ServerFramesAreUnmaskedAndFinalWithTheShortestLength) {
    std::array<char, 10> header;
    ASSERT_EQ(write_frame_header(Opcode::text, 125, header), 2u);
    EXPECT_EQ(std::string(header.data(), 2), std::string("\x81\x7D"));
    ASSERT_EQ(write_frame_header(Opcode::text, 126, header), 4u);
    EXPECT_EQ(std::string(header.data(), 4), std::string("\x81\x7E\x00\x7E", 4));
    ASSERT_EQ(write_frame_header(Opcode::close, 65536, header), 10u);
    EXPECT_EQ(std::string(header.data(), 10), std::string("\x88\x7F\x00\x00\x00\x00\x00\x01\x00\x00", 10));
}

TEST(CloseReasonTest, AReasonOverTheLimitIsCutAtACharacterBoundaryAndStaysUtf8) {
    const std::string short_reason = "bye";
    EXPECT_EQ(close_reason_within_limit(short_reason), "bye");
    const std::string exact(kMaxCloseReason, 'x');
    EXPECT_EQ(close_reason_within_limit(exact).size(), kMaxCloseReason);
    std::string accents;  // "é" is 2 bytes: byte 123 is the second half of the 62nd
    for (int i = 0; i < 70; ++i) accents += "\xC3\xA9";
    std::string_view cut = close_reason_within_limit(accents);
    EXPECT_EQ(cut.size(), 122u);
    EXPECT_TRUE(valid_utf8(cut));
    std::string faces;  // U+1F600 is 4 bytes: byte 123 is the last of the 31st
    for (int i = 0; i < 40; ++i) faces += "\xF0\x9F\x98\x80";
    cut = close_reason_within_limit(faces);
    EXPECT_EQ(cut.size(), 120u);
    EXPECT_TRUE(valid_utf8(cut));
}

}  // namespace
}  // namespace lanchat::host::edge

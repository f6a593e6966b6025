#include "line_editor.hpp"

#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <iostream>

namespace lanchat::client {
namespace {

constexpr size_t kRecentLines = 200;
constexpr const char* kClearLine = "\r\x1b[2K";
constexpr const char* kClearScreen = "\x1b[H\x1b[2J";

constexpr char kCtrlC = 0x03, kCtrlD = 0x04, kBackspace = 0x08, kCtrlL = 0x0c, kCtrlU = 0x15, kEscape = 0x1b,
               kDelete = 0x7f;

// Removes the last UTF-8 character (all its bytes) of `text`.
void pop_character(std::string& text) {
    while (!text.empty() && (static_cast<unsigned char>(text.back()) & 0xC0) == 0x80) text.pop_back();
    if (!text.empty()) text.pop_back();
}

}  // namespace

struct RawMode::Saved {
    termios mode;
};

RawMode::RawMode(int fd) : fd_(fd) {
    termios mode{};
    if (!isatty(fd) || tcgetattr(fd, &mode) != 0) return;
    saved_ = new Saved{mode};
    mode.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO | IEXTEN | ISIG);
    mode.c_iflag &= ~static_cast<tcflag_t>(IXON | ICRNL);
    mode.c_cc[VMIN] = 1;
    mode.c_cc[VTIME] = 0;
    active_ = tcsetattr(fd, TCSAFLUSH, &mode) == 0;
}

RawMode::~RawMode() {
    if (active_) tcsetattr(fd_, TCSAFLUSH, &saved_->mode);
    delete saved_;
}

std::optional<std::string> LineEditor::read_line() {
    if (!editing_) {
        std::string line;
        if (!std::getline(std::cin, line)) return std::nullopt;
        return line;
    }
    {
        std::lock_guard lock(mutex_);
        redraw_input();
    }
    for (;;) {
        std::optional<int> byte = next_byte();
        if (!byte) return std::nullopt;
        char c = static_cast<char>(*byte);
        std::lock_guard lock(mutex_);
        if (c == '\r' || c == '\n') {
            std::string line = std::move(input_);
            input_.clear();
            out_ << kClearLine << std::flush;  // the chat prints what it did with the line
            return line;
        }
        if ((c == kCtrlD && input_.empty()) || c == kCtrlC) {
            out_ << kClearLine << std::flush;
            return std::nullopt;
        }
        if (c == kDelete || c == kBackspace) {
            pop_character(input_);
        } else if (c == kCtrlU) {
            input_.clear();
        } else if (c == kCtrlL) {
            redraw_screen();
            continue;
        } else if (c == kEscape) {
            skip_escape_sequence();
            continue;
        } else if (static_cast<unsigned char>(c) >= 0x20 || c == '\t') {
            input_ += c == '\t' ? ' ' : c;
        }
        redraw_input();
    }
}

void LineEditor::print(const std::string& line) {
    std::lock_guard lock(mutex_);
    recent_.push_back(line);
    if (recent_.size() > kRecentLines) recent_.pop_front();
    if (!editing_) {
        out_ << line << "\n" << std::flush;
        return;
    }
    out_ << kClearLine << line << "\n";
    redraw_input();
}

void LineEditor::set_prompt(std::string prompt) {
    std::lock_guard lock(mutex_);
    prompt_ = std::move(prompt);
    if (editing_) redraw_input();
}

std::optional<int> LineEditor::next_byte() {
    unsigned char byte = 0;
    ssize_t got = 0;
    do {
        got = ::read(fd_, &byte, 1);
    } while (got < 0 && errno == EINTR);
    if (got <= 0) return std::nullopt;
    return byte;
}

// ESC [ ... final byte (or ESC O x): what arrow and function keys send.
void LineEditor::skip_escape_sequence() {
    std::optional<int> kind = next_byte();
    if (!kind || (*kind != '[' && *kind != 'O')) return;
    for (std::optional<int> byte = next_byte(); byte; byte = next_byte()) {
        if (*kind == 'O' || (*byte >= 0x40 && *byte <= 0x7e)) return;
    }
}

void LineEditor::redraw_input() { out_ << kClearLine << prompt_ << input_ << std::flush; }

void LineEditor::redraw_screen() {
    out_ << kClearScreen;
    size_t shown = std::min(recent_.size(), static_cast<size_t>(std::max(rows_ - 1, 0)));
    for (size_t i = recent_.size() - shown; i < recent_.size(); ++i) out_ << recent_[i] << "\n";
    redraw_input();
}

}  // namespace lanchat::client

// LineEditor: the chat's input line. On a terminal (in raw mode, see RawMode) it edits the line itself, so
// that what the server pushes prints above the line being typed instead of through it, Enter hands the
// line over without the terminal echoing it a second time (the chat prints it once, as sent), and Ctrl-L
// clears the screen and redraws the recent lines. Elsewhere (a pipe, a script) it reads lines as they come.
#pragma once

#include <deque>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>

namespace lanchat::client {

// Puts a terminal into raw mode (no line buffering, no echo, Ctrl-C as a key) for its lifetime; does
// nothing when `fd` is not a terminal.
class RawMode {
public:
    explicit RawMode(int fd);
    ~RawMode();
    RawMode(const RawMode&) = delete;
    RawMode& operator=(const RawMode&) = delete;
    bool active() const { return active_; }

private:
    int fd_;
    bool active_ = false;
    struct Saved;
    Saved* saved_ = nullptr;
};

// Reads from `fd` and draws on `out`, both for its whole lifetime. `editing`: keys come one at a time
// from a terminal in raw mode; else whole lines.
class LineEditor {
public:
    LineEditor(int fd, std::ostream& out, bool editing) : fd_(fd), out_(out), editing_(editing) {}

    // The next line typed, without its end; nullopt at the end of input (Ctrl-D on an empty line, Ctrl-C,
    // or the input closed). Keys: Backspace, Ctrl-U (clear), Ctrl-L (redraw); other control keys and
    // escape sequences (arrows) are ignored.
    std::optional<std::string> read_line();
    // One line of output, printed above the input line. Any thread.
    void print(const std::string& line);
    // What is shown before the input ("#general> ").
    void set_prompt(std::string prompt);
    // From here on keys come one at a time from a terminal in raw mode (see the constructor).
    void set_editing(bool editing) {
        std::lock_guard lock(mutex_);
        editing_ = editing;
    }
    // The terminal's height, for Ctrl-L (which shows as many of the recent lines as fit).
    void set_rows(int rows) { rows_ = rows; }

private:
    std::optional<int> next_byte();
    void skip_escape_sequence();
    void redraw_input();  // callers hold mutex_
    void redraw_screen();

    int fd_;
    std::ostream& out_;
    bool editing_;
    int rows_ = 24;
    std::mutex mutex_;
    std::string prompt_;
    std::string input_;
    std::deque<std::string> recent_;  // the last lines printed, for Ctrl-L
};

}  // namespace lanchat::client

#include "lanchat/cli/terminal.hpp"

#include <termios.h>
#include <unistd.h>

#include <iostream>

namespace lanchat::cli {

std::optional<std::string> read_secret(const std::string& prompt, bool confirm, std::string& error) {
    if (!isatty(STDIN_FILENO)) {
        std::string line;
        if (!std::getline(std::cin, line) || line.empty()) {
            error = "nothing on stdin (the secret is read from its first line when it is not a terminal)";
            return std::nullopt;
        }
        return line;
    }
    termios saved{};
    tcgetattr(STDIN_FILENO, &saved);
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    std::string first, second;
    std::cerr << prompt << std::flush;
    std::getline(std::cin, first);
    if (confirm) {
        std::cerr << "\nagain: " << std::flush;
        std::getline(std::cin, second);
    }
    std::cerr << "\n";
    tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    if (confirm && first != second) {
        error = "the two entries differ";
        return std::nullopt;
    }
    return first;
}

}  // namespace lanchat::cli

#include "mentions.hpp"

#include <cctype>

namespace lanchat::client {
namespace {

bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.'; }

std::string lowercase(std::string text) {
    for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

}  // namespace

bool mentions(const std::string& body, const std::string& username) {
    if (username.empty()) return false;
    const std::string text = lowercase(body), wanted = "@" + lowercase(username);
    for (size_t at = text.find(wanted); at != std::string::npos; at = text.find(wanted, at + 1)) {
        size_t end = at + wanted.size();
        bool starts_word = at == 0 || !is_name_char(text[at - 1]);
        bool ends_word = end == text.size() || !is_name_char(text[end]) ||
                         (text[end] == '.' && (end + 1 == text.size() || !is_name_char(text[end + 1])));
        if (starts_word && ends_word) return true;
    }
    return false;
}

}  // namespace lanchat::client

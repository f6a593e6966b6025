#include "page_tokens.hpp"

#include "checks.hpp"
#include "text.hpp"

namespace lanchat::channel {
namespace {

const sdk::Status kForgedToken = sdk::invalid_argument("page_token is not one this service issued");

}  // namespace

std::string page_token(const std::string& kind, const std::string& position) {
    return plugin_support::base64url_encode(kind + ":" + position);
}

sdk::Result<std::string> token_position(const std::string& token, const std::string& kind) {
    std::string decoded;
    if (!plugin_support::base64url_decode(token, decoded) || decoded.rfind(kind + ":", 0) != 0) return kForgedToken;
    return decoded.substr(kind.size() + 1);
}

sdk::Result<ChannelCursor> channel_cursor(const std::string& token) {
    if (token.empty()) return ChannelCursor{};
    auto position = token_position(token, "channels");
    if (!position.ok()) return position.status();
    size_t colon = position->find(':');
    ChannelCursor cursor;
    try {
        if (colon == std::string::npos) return kForgedToken;
        cursor.created_unix_ms = std::stoll(position->substr(0, colon));
    } catch (const std::exception&) {
        return kForgedToken;
    }
    cursor.id = position->substr(colon + 1);
    if (cursor.id.rfind("c_", 0) != 0 || cursor.id.size() > plugin_support::kMaxIdBytes) return kForgedToken;
    return cursor;
}

}  // namespace lanchat::channel

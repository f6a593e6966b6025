// The channel service's page tokens: base64url of "<kind>:<position>", so they are opaque to clients and
// checked when they come back (a token of another kind, or not one this service made, is refused).
#pragma once

#include <string>

#include "channel_store.hpp"
#include "lanchat/sdk/status.hpp"

namespace lanchat::channel {

std::string page_token(const std::string& kind, const std::string& position);
// The position a token of `kind` holds; INVALID_ARGUMENT for any other token.
sdk::Result<std::string> token_position(const std::string& token, const std::string& kind);
// Where a channels page starts ("": the beginning); INVALID_ARGUMENT for a forged token.
sdk::Result<ChannelCursor> channel_cursor(const std::string& token);

}  // namespace lanchat::channel

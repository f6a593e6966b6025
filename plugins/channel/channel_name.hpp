// What a public or private channel may be called: a name people type after '#' and see in full in every
// list, so one word of at most kMaxChannelNameBytes bytes. Direct channels are named by their pair instead.
#pragma once

#include <cstddef>
#include <string>

#include "lanchat/sdk/status.hpp"

namespace lanchat::channel {

constexpr size_t kMaxChannelNameBytes = 64;

// OK for 1 to kMaxChannelNameBytes bytes of UTF-8 holding no white space (ASCII or Unicode) and no control
// characters; else INVALID_ARGUMENT saying what is wrong and what a name may hold.
sdk::Status check_channel_name(const std::string& name);

}  // namespace lanchat::channel

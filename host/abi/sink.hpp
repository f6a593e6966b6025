// The host's side of lanchat_sink: collecting what a plugin writes, and writing into a sink a plugin passed.
// A sink adapter is the same on both sides of the boundary, so the host uses the SDK's public one rather
// than a copy; it still never reaches into sdk::detail.
#pragma once

#include "lanchat/sdk/sink.hpp"

namespace lanchat::host::abi {

using sdk::StringSink;
using sdk::write_to;

}  // namespace lanchat::host::abi

// The settings table a plugin's descriptor declares (ABI 1.4), read and checked before anything uses it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "lanchat/plugin_abi.h"
#include "lanchat/sdk/status.hpp"

namespace lanchat::host {

// The rows, copied out at the size the plugin built them with (fields this host knows but the plugin
// predates stay zero); their strings still point into the plugin's static data, so they live as long as
// the library is loaded. nullopt: the plugin declares no table (built before 1.4, or without one).
using DeclaredSettings = std::optional<std::vector<lanchat_setting>>;

// Fails, naming `file`, when the table is malformed: rows smaller than ABI 1.4's, of different sizes,
// without a name, or of a type this host does not know.
sdk::Result<DeclaredSettings> read_declared_settings(const lanchat_plugin_descriptor& descriptor,
                                                     const std::string& file);

// "integer", "milliseconds", ... as --describe prints it.
const char* setting_type_name(lanchat_setting_type type);

}  // namespace lanchat::host

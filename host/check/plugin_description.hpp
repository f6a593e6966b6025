// What `lanchatd --describe PLUGIN.so` prints: a plugin's identity and the settings it declares.
#pragma once

#include <string>

#include "loader/plugin_library.hpp"

namespace lanchat::host {

// Readable text, one block per setting: its name, type, default and range, then its one line of doc.
std::string describe_plugin(const PluginLibrary& library);

}  // namespace lanchat::host

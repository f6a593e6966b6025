// Where the build put what the tests run: lanchatd, lanchatctl, the plugins, the fixtures. The values are the
// test targets' compile definitions (TEST_DEFINITIONS in tests/CMakeLists.txt).
#pragma once

#include <filesystem>
#include <string>

namespace lanchat::testing {

inline const std::string kLanchatd = LANCHAT_LANCHATD;
inline const std::string kLanchatctl = LANCHAT_LANCHATCTL;
inline const std::filesystem::path kPluginDir = LANCHAT_PLUGIN_DIR;
inline const std::filesystem::path kFixtures = LANCHAT_TEST_FIXTURES;
inline const std::filesystem::path kSourceDir = LANCHAT_SOURCE_DIR;
inline const std::filesystem::path kCompatPlugin = LANCHAT_COMPAT_PLUGIN;

}  // namespace lanchat::testing

// The loader's refusal, before dlopen, of a plugin file that could not be unloaded cleanly: one that would
// take the node down at its next load, or leave its old code running after a reload.
#pragma once

#include <filesystem>

#include "lanchat/sdk/status.hpp"

namespace lanchat::host {

// OK when `path` (an ELF shared object for this machine) defines no STB_GNU_UNIQUE symbol and is not marked
// NODELETE (either keeps it mapped after dlclose, so a reload would run old code), imports none of the
// functions full-runtime protobuf code registers its descriptors with (the second load of such a file
// aborts the process: "File already exists in database"), and needs no shared library this process has not
// loaded already (that library, and the plugin with it, could stay loaded forever). Otherwise the error names
// the file, what was found and how to fix the build.
sdk::Status check_unload_safety(const std::filesystem::path& path);

}  // namespace lanchat::host

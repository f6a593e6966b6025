// Reads a file's ELF header before dlopen, so a wrong file gets a precise reason instead of dlerror's.
#pragma once

#include <filesystem>

#include "lanchat/sdk/status.hpp"

namespace lanchat::host {

// OK when `path` is an ELF shared object for the machine this process runs on; otherwise says why not
// (missing, a directory, no ELF header, an executable, another architecture).
sdk::Status check_shared_object(const std::filesystem::path& path);

}  // namespace lanchat::host

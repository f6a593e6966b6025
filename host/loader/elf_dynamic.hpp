// What a shared object asks of the dynamic linker, read from its file before dlopen: the libraries it needs,
// its dynamic flags and its dynamic symbols.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "lanchat/sdk/status.hpp"

namespace lanchat::host {

struct DynamicSymbol {
    std::string name;         // as linked (mangled for C++)
    bool defined = false;     // false: the file imports it from another object
    bool gnu_unique = false;  // STB_GNU_UNIQUE binding: glibc never unloads a file that defines one
};

struct ElfDynamic {
    std::vector<std::string> needed;     // DT_NEEDED, in order
    bool no_delete = false;              // DF_1_NODELETE: dlclose never unmaps the file
    std::vector<DynamicSymbol> symbols;  // the .dynsym table
};

// Reads the dynamic section and symbol table of `path`, an ELF shared object for this process's own class
// and machine (check_shared_object says so first). A file whose tables run past its end is refused.
sdk::Result<ElfDynamic> read_elf_dynamic(const std::filesystem::path& path);

}  // namespace lanchat::host

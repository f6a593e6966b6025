// The loader's checks of a plugin file before dlopen, in the order it runs them: the ELF header, then (for a
// shared object of this machine) the unload-safety verdict, which reads the dynamic section and symbols.
#include <cstdint>

#include "loader/elf_header.hpp"
#include "loader/unload_safety.hpp"
#include "memory_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    lanchat::fuzz::MemoryFile file(data, size);
    if (!lanchat::host::check_shared_object(file.path()).ok()) return 0;
    (void)lanchat::host::check_unload_safety(file.path());
    return 0;
}

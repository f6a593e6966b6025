// The node TOML file loader: any bytes as the file lanchatd is started with. Every outcome is a config or
// an error naming where; nothing else may happen.
#include <cstdint>

#include "config/node_config.hpp"
#include "memory_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    lanchat::fuzz::MemoryFile file(data, size);
    (void)lanchat::host::load_node_config(file.path(), "/usr/lib/lanchat/plugins");
    return 0;
}

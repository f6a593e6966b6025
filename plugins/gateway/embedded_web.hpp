// The web client's files as compiled in by cmake/EmbedFiles.cmake (see CMakeLists.txt).
#pragma once

#include <cstddef>
#include <vector>

namespace lanchat::gateway {

struct EmbeddedFile {
    const char* name;  // path under plugins/gateway/web/, e.g. "app.js"
    const unsigned char* data;
    size_t size;
};

const std::vector<EmbeddedFile>& embedded_web_files();

}  // namespace lanchat::gateway

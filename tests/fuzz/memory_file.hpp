// MemoryFile: a fuzz input as a file the code under test opens by path, kept in memory (memfd) so no
// iteration touches the disk.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace lanchat::fuzz {

class MemoryFile {
public:
    MemoryFile(const uint8_t* data, size_t size) : fd_(memfd_create("lanchat-fuzz", 0)) {
        if (fd_ < 0) throw std::runtime_error("memfd_create failed");
        for (size_t written = 0; written < size;) {
            ssize_t wrote = ::write(fd_, data + written, size - written);
            if (wrote <= 0) throw std::runtime_error("cannot write the fuzz input to its memfd");
            written += static_cast<size_t>(wrote);
        }
    }
    ~MemoryFile() { ::close(fd_); }
    MemoryFile(const MemoryFile&) = delete;
    MemoryFile& operator=(const MemoryFile&) = delete;

    std::filesystem::path path() const { return "/proc/self/fd/" + std::to_string(fd_); }

private:
    int fd_;
};

}  // namespace lanchat::fuzz

#include "runtime/private_directory.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace lanchat::host {
namespace {

std::string octal(mode_t mode) {
    char text[8];
    std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
    return text;
}

}  // namespace

sdk::Status make_private_directory(const std::filesystem::path& dir, const std::string& what) {
    std::error_code error;
    bool created = std::filesystem::create_directories(dir, error);
    if (error) return sdk::failed_precondition("cannot create " + dir.string() + " (" + what + "): " + error.message());
    struct stat status {};
    if (::lstat(dir.c_str(), &status) != 0) {
        return sdk::failed_precondition("cannot inspect " + dir.string() + " (" + what + "): " + std::strerror(errno));
    }
    if (!S_ISDIR(status.st_mode)) return sdk::failed_precondition(dir.string() + " (" + what + ") is not a directory");
    // A directory made just now has the umask's mode and nobody else has written to it yet.
    if (!created && (status.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
        return sdk::failed_precondition(dir.string() + " (" + what + ") has mode " + octal(status.st_mode) +
                                        ": its group or others can write there, so they could have replaced the "
                                        "node's data; check its contents, then chmod 700 " +
                                        dir.string());
    }
    if ((status.st_mode & 077) != 0 && ::chmod(dir.c_str(), 0700) != 0) {
        return sdk::failed_precondition("cannot make " + dir.string() + " (" + what +
                                        ") private (chmod 700): " + std::strerror(errno));
    }
    return {};
}

}  // namespace lanchat::host

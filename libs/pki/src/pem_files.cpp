#include "pem_files.hpp"

#include <fcntl.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace lanchat::pki {
namespace fs = std::filesystem;
namespace {

// Writes through a temporary file and rename, so a watcher never reads half a file. Keys get mode 0600.
sdk::Status write_pem(const fs::path& path, bool secret, bool refuse_existing, int (*write)(FILE*, void*),
                      void* object) {
    std::error_code error;
    if (refuse_existing && fs::exists(path, error)) {
        return sdk::Status(sdk::Code::already_exists,
                           path.string() + " already exists; refusing to overwrite it (move it away first)");
    }
    fs::create_directories(path.parent_path(), error);
    if (error) return sdk::internal_error("cannot create " + path.parent_path().string() + ": " + error.message());
    fs::path temporary = path;
    temporary += ".tmp";
    int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, secret ? 0600 : 0644);
    if (fd < 0) return sdk::internal_error("cannot write " + temporary.string() + ": " + std::strerror(errno));
    ::fchmod(fd, secret ? 0600 : 0644);  // the umask must not widen a key's mode
    FILE* file = ::fdopen(fd, "w");
    bool written = file != nullptr && write(file, object) == 1;
    bool closed = file != nullptr ? std::fclose(file) == 0 : ::close(fd) == 0;
    if (!written || !closed) {
        fs::remove(temporary, error);
        return sdk::internal_error("cannot write " + path.string() + ": " + openssl_error());
    }
    fs::rename(temporary, path, error);
    if (error) return sdk::internal_error("cannot rename " + temporary.string() + ": " + error.message());
    return {};
}

template <class Handle, class Reader>
sdk::Result<Handle> read_pem(const fs::path& path, const char* what, Reader reader) {
    FILE* file = std::fopen(path.c_str(), "r");
    if (file == nullptr) return sdk::not_found(path.string() + ": cannot read " + what + ": " + std::strerror(errno));
    auto* object = reader(file, nullptr, nullptr, nullptr);
    std::fclose(file);
    if (object == nullptr) {
        return sdk::invalid_argument(path.string() + ": not a PEM " + what + " (" + openssl_error() + ")");
    }
    return Handle(object);
}

}  // namespace

sdk::Status write_key(const fs::path& path, EVP_PKEY* key, bool refuse_existing) {
    return write_pem(
        path, true, refuse_existing,
        [](FILE* file, void* object) {
            return PEM_write_PrivateKey(file, static_cast<EVP_PKEY*>(object), nullptr, nullptr, 0, nullptr, nullptr);
        },
        key);
}

sdk::Status write_certificate(const fs::path& path, X509* certificate, bool refuse_existing) {
    return write_pem(
        path, false, refuse_existing,
        [](FILE* file, void* object) { return PEM_write_X509(file, static_cast<X509*>(object)); }, certificate);
}

sdk::Status write_crl(const fs::path& path, X509_CRL* crl, bool refuse_existing) {
    return write_pem(
        path, false, refuse_existing,
        [](FILE* file, void* object) { return PEM_write_X509_CRL(file, static_cast<X509_CRL*>(object)); }, crl);
}

sdk::Result<Certificate> read_certificate(const fs::path& path) {
    return read_pem<Certificate>(path, "certificate", PEM_read_X509);
}
sdk::Result<Key> read_key(const fs::path& path) { return read_pem<Key>(path, "private key", PEM_read_PrivateKey); }
sdk::Result<Crl> read_crl(const fs::path& path) { return read_pem<Crl>(path, "CRL", PEM_read_X509_CRL); }

}  // namespace lanchat::pki

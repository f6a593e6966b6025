// PEM files of the PKI directory: keys, certificates and the CRL, read with messages that name the file,
// and written so that a watcher (the host re-reads crl.pem) never sees half a file.
#pragma once

#include <filesystem>

#include "lanchat/pki/openssl_handles.hpp"
#include "lanchat/sdk/status.hpp"

namespace lanchat::pki {

// Each write goes through a temporary file and a rename; keys get mode 0600. With `refuse_existing` an
// existing file is an error (already_exists) and is left as it is.
sdk::Status write_key(const std::filesystem::path& path, EVP_PKEY* key, bool refuse_existing);
sdk::Status write_certificate(const std::filesystem::path& path, X509* certificate, bool refuse_existing);
sdk::Status write_crl(const std::filesystem::path& path, X509_CRL* crl, bool refuse_existing);

// not_found when the file cannot be read, invalid_argument when it holds no PEM object of that kind.
sdk::Result<Certificate> read_certificate(const std::filesystem::path& path);
sdk::Result<Key> read_key(const std::filesystem::path& path);
sdk::Result<Crl> read_crl(const std::filesystem::path& path);

}  // namespace lanchat::pki

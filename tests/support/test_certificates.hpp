// Certificates the product would never issue (expired, two URI SANs), signed by a PKI's real CA, so the
// mesh tests can prove the server refuses them.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace lanchat::testing {

struct TestCertificate {
    std::filesystem::path certificate;
    std::filesystem::path key;
};

// Signs with `pki_dir`/ca.{crt,key}. Validity is relative to now, in seconds (negative: in the past).
TestCertificate issue_test_certificate(const std::filesystem::path& pki_dir, const std::filesystem::path& base,
                                       const std::vector<std::string>& uris, long valid_from, long valid_to);

std::string read_file(const std::filesystem::path& path);

}  // namespace lanchat::testing

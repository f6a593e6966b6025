#include "test_certificates.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace lanchat::testing {
namespace fs = std::filesystem;

std::string read_file(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

TestCertificate issue_test_certificate(const fs::path& pki_dir, const fs::path& base,
                                       const std::vector<std::string>& uris, long valid_from, long valid_to) {
    FILE* in = std::fopen((pki_dir / "ca.crt").c_str(), "r");
    X509* ca = PEM_read_X509(in, nullptr, nullptr, nullptr);
    std::fclose(in);
    in = std::fopen((pki_dir / "ca.key").c_str(), "r");
    EVP_PKEY* ca_key = PEM_read_PrivateKey(in, nullptr, nullptr, nullptr);
    std::fclose(in);
    if (ca == nullptr || ca_key == nullptr) throw std::runtime_error("cannot read the test CA");

    EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
    X509* certificate = X509_new();
    X509_set_version(certificate, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(certificate),
                     static_cast<long>(std::hash<std::string>{}(base.string()) & 0xffffff));
    X509_gmtime_adj(X509_getm_notBefore(certificate), valid_from);
    X509_gmtime_adj(X509_getm_notAfter(certificate), valid_to);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(certificate), "CN", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>("test"), -1, -1, 0);
    X509_set_issuer_name(certificate, X509_get_subject_name(ca));
    X509_set_pubkey(certificate, key);
    std::string names;
    for (const std::string& uri : uris) names += (names.empty() ? "URI:" : ",URI:") + uri;
    X509V3_CTX context;
    X509V3_set_ctx_nodb(&context);
    X509V3_set_ctx(&context, ca, certificate, nullptr, nullptr, 0);
    for (auto [nid, value] : {std::pair{NID_basic_constraints, std::string("critical,CA:FALSE")},
                              {NID_key_usage, std::string("critical,digitalSignature")},
                              {NID_ext_key_usage, std::string("clientAuth")},
                              {NID_subject_alt_name, names}}) {
        X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str());
        X509_add_ext(certificate, extension, -1);
        X509_EXTENSION_free(extension);
    }
    X509_sign(certificate, ca_key, EVP_PKEY_get_id(ca_key) == EVP_PKEY_ED25519 ? nullptr : EVP_sha256());

    TestCertificate files{fs::path(base.string() + ".crt"), fs::path(base.string() + ".key")};
    fs::create_directories(base.parent_path());
    FILE* out = std::fopen(files.certificate.c_str(), "w");
    PEM_write_X509(out, certificate);
    std::fclose(out);
    out = std::fopen(files.key.c_str(), "w");
    PEM_write_PrivateKey(out, key, nullptr, nullptr, 0, nullptr, nullptr);
    std::fclose(out);
    X509_free(certificate);
    X509_free(ca);
    EVP_PKEY_free(key);
    EVP_PKEY_free(ca_key);
    return files;
}

}  // namespace lanchat::testing

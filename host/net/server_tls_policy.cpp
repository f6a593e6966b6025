#include "net/server_tls_policy.hpp"

#include <string>

namespace lanchat::host::net {
namespace {

// Mozilla's "intermediate" TLS 1.2 list without its finite-field DHE suites (OpenSSL names).
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

}  // namespace

sdk::Status apply_server_tls_policy(SSL_CTX* context, const char* setting) {
    if (SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION) != 1 ||
        SSL_CTX_set_cipher_list(context, kTls12Ciphers) != 1) {
        return sdk::internal_error(std::string(setting) +
                                   " TLS: this OpenSSL refuses TLS 1.2 with ECDHE and AEAD ciphers; it needs "
                                   "OpenSSL 3 built with them");
    }
    SSL_CTX_set_options(context, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    return {};
}

}  // namespace lanchat::host::net

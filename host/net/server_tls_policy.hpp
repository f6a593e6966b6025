// The TLS every HTTPS listener of the node offers (the client edge and the admin endpoint), audited by
// tests/integration/tls_audit_test.cpp with testssl: TLS 1.2 and 1.3 only; in TLS 1.2 only forward-secret
// AEAD suites (ECDHE with AES-GCM or ChaCha20-Poly1305), so nothing CBC, RC4, 3DES, static RSA or
// anonymous is offered; TLS 1.3's suites are all of that kind already. No compression, no renegotiation.
#pragma once

#include <openssl/ssl.h>

#include "lanchat/sdk/status.hpp"

namespace lanchat::host::net {

// Applies the policy to a server context; `setting` names the listener in a message ("[client_edge]").
sdk::Status apply_server_tls_policy(SSL_CTX* context, const char* setting);

}  // namespace lanchat::host::net

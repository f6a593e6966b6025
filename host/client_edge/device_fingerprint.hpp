// Who a client's device is: the fingerprint a device certificate is registered under (lanchatctl pki
// issue-client --device), read from a finished TLS handshake.
#pragma once

#include <openssl/ssl.h>

#include <string>

namespace lanchat::host::edge {

// SHA-256 (64 lowercase hex) of the client certificate's DER, when the client sent one and the CA verified
// it; empty otherwise.
std::string device_fingerprint(SSL* ssl);

}  // namespace lanchat::host::edge

// What a certificate says it is: its subject alternative names, and its SPIFFE ID.
#pragma once

#include <openssl/x509.h>

#include <string>
#include <vector>

namespace lanchat::pki {

std::vector<std::string> uri_sans(X509* certificate);
std::vector<std::string> dns_sans(X509* certificate);
std::vector<std::string> ip_sans(X509* certificate);  // as text: 127.0.0.1, ::1

// The certificate's one spiffe:// URI; empty when it has none or more than one URI (SPIFFE X.509 rules).
std::string spiffe_id(X509* certificate);

}  // namespace lanchat::pki

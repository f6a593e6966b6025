// Certificate serial numbers: a fresh random one for every certificate the PKI issues, and the one text
// form in which the PKI prints a serial and the host looks it up in the CRL.
#pragma once

#include <openssl/x509.h>

#include <string>

#include "lanchat/sdk/status.hpp"

namespace lanchat::pki {

// 127 random bits (positive, as RFC 5280 asks), from the CSPRNG.
sdk::Status set_random_serial(X509* certificate);

// Upper-case hex without leading zeros, as OpenSSL prints serials (BN_bn2hex); empty if unreadable.
std::string serial_hex(const ASN1_INTEGER* serial);

}  // namespace lanchat::pki

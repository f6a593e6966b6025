#include "lanchat/pki/serial_number.hpp"

#include <stdexcept>

#include "lanchat/ids/random_id.hpp"
#include "lanchat/pki/openssl_handles.hpp"

namespace lanchat::pki {

sdk::Status set_random_serial(X509* certificate) {
    std::string bytes;
    try {
        bytes = ids::random_bytes(16);
    } catch (const std::runtime_error& error) {
        return sdk::internal_error(std::string("no randomness: ") + error.what() + ": " + openssl_error());
    }
    bytes[0] = static_cast<char>(bytes[0] & 0x7f);  // positive
    BigNum number(
        BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()), nullptr));
    Asn1Integer serial(BN_to_ASN1_INTEGER(number.get(), nullptr));
    if (!serial || X509_set_serialNumber(certificate, serial.get()) != 1) {
        return sdk::internal_error("setting a serial number failed: " + openssl_error());
    }
    return {};
}

std::string serial_hex(const ASN1_INTEGER* serial) {
    BigNum number(ASN1_INTEGER_to_BN(serial, nullptr));
    char* hex = BN_bn2hex(number.get());
    std::string text = hex != nullptr ? hex : "";
    OPENSSL_free(hex);
    return text;
}

}  // namespace lanchat::pki

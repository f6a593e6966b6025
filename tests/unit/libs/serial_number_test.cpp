#include "lanchat/pki/serial_number.hpp"

#include <gtest/gtest.h>

#include <set>

#include "lanchat/pki/openssl_handles.hpp"

namespace lanchat::pki {
namespace {

TEST(SerialNumberTest, SerialHexIsUpperCaseWithoutLeadingZeros) {
    Asn1Integer serial(ASN1_INTEGER_new());
    ASSERT_EQ(ASN1_INTEGER_set_uint64(serial.get(), 0x0102abcdULL), 1);
    EXPECT_EQ(serial_hex(serial.get()), "0102ABCD");
    ASSERT_EQ(ASN1_INTEGER_set_uint64(serial.get(), 0xabcdULL), 1);
    EXPECT_EQ(serial_hex(serial.get()), "ABCD");
}

TEST(SerialNumberTest, RandomSerialsArePositiveAndDifferent) {
    std::set<std::string> seen;
    for (int i = 0; i < 100; ++i) {
        Certificate certificate(X509_new());
        ASSERT_TRUE(set_random_serial(certificate.get()).ok());
        const ASN1_INTEGER* serial = X509_get0_serialNumber(certificate.get());
        BigNum number(ASN1_INTEGER_to_BN(serial, nullptr));
        EXPECT_FALSE(BN_is_negative(number.get()));
        EXPECT_LE(BN_num_bits(number.get()), 127);
        seen.insert(serial_hex(serial));
    }
    EXPECT_EQ(seen.size(), 100u);
}

}  // namespace
}  // namespace lanchat::pki

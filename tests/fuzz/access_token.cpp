// Auth's access-token check: the JOSE header read before any key is chosen, then libjwt's decoding and the
// claims read from a verified token. The input picks how far it gets: bytes as a whole token; a header and
// claims of its choosing signed with the known key; or claims alone under a well-formed header. (A
// signature the fuzzer could not make would stop every input at the signature check.)
#include <fuzzer/FuzzedDataProvider.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "access_token.hpp"
#include "text.hpp"

namespace {

using lanchat::auth::SigningKey;
using lanchat::plugin_support::base64url_encode;

const SigningKey& signing_key() {
    static const SigningKey key = [] {
        auto generated = lanchat::auth::generate_signing_key(0);
        if (!generated.ok()) std::abort();
        return *generated;
    }();
    return key;
}

// The ES256 signature of `signed_part` as JOSE writes it: r and s, 32 bytes each.
std::string es256_signature(const std::string& signed_part) {
    static EVP_PKEY* key = [] {
        const std::string& pem = signing_key().private_key_pem;
        BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
        EVP_PKEY* read = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
        BIO_free(bio);
        return read;
    }();
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    size_t der_size = 0;
    if (EVP_DigestSignInit(context.get(), nullptr, EVP_sha256(), nullptr, key) != 1 ||
        EVP_DigestSign(context.get(), nullptr, &der_size, reinterpret_cast<const unsigned char*>(signed_part.data()),
                       signed_part.size()) != 1) {
        std::abort();
    }
    std::string der(der_size, '\0');
    auto* der_bytes = reinterpret_cast<unsigned char*>(der.data());
    if (EVP_DigestSign(context.get(), der_bytes, &der_size, reinterpret_cast<const unsigned char*>(signed_part.data()),
                       signed_part.size()) != 1) {
        std::abort();
    }
    const unsigned char* cursor = der_bytes;
    std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> signature(
        d2i_ECDSA_SIG(nullptr, &cursor, static_cast<long>(der_size)), ECDSA_SIG_free);
    std::string raw(64, '\0');
    BN_bn2binpad(ECDSA_SIG_get0_r(signature.get()), reinterpret_cast<unsigned char*>(raw.data()), 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(signature.get()), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
    return raw;
}

std::string signed_token(const std::string& header, const std::string& claims) {
    std::string signed_part = base64url_encode(header) + "." + base64url_encode(claims);
    return signed_part + "." + base64url_encode(es256_signature(signed_part));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    FuzzedDataProvider input(data, size);
    const SigningKey& key = signing_key();
    std::string token;
    switch (input.ConsumeIntegralInRange<int>(0, 2)) {
        case 0: token = input.ConsumeRemainingBytesAsString(); break;
        case 1: {
            std::string header = input.ConsumeRandomLengthString(512);
            token = signed_token(header, input.ConsumeRemainingBytesAsString());
            break;
        }
        default:
            token = signed_token(R"({"alg":"ES256","typ":"JWT","kid":")" + key.id + "\"}",
                                 input.ConsumeRemainingBytesAsString());
    }
    auto known = [&key](const std::string& id) { return id == key.id ? &key : nullptr; };
    (void)lanchat::auth::verify_access_token(token, known, 1'700'000'000);
    return 0;
}

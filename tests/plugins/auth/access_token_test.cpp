#include "access_token.hpp"

#include <gtest/gtest.h>
#include <jwt.h>

#include <random>

#include "text.hpp"

namespace lanchat::auth {
namespace {

constexpr int64_t kNow = 1'800'000'000;

class AccessTokenTest : public ::testing::Test {
protected:
    void SetUp() override {
        key_ = value_or_throw(generate_signing_key(kNow * 1000));
        other_ = value_or_throw(generate_signing_key(kNow * 1000));
    }

    v1::Claims claims(int64_t expires = kNow + 900) const {
        v1::Claims claims;
        claims.set_subject("u_0123456789abcdef");
        claims.set_username("alice");
        claims.add_roles("member");
        claims.set_issued_unix_s(kNow);
        claims.set_expires_unix_s(expires);
        claims.set_token_id("t_1");
        return claims;
    }

    KeyLookup keys() const {
        return [this](const std::string& id) -> const SigningKey* { return id == key_.id ? &key_ : nullptr; };
    }

    std::string sign(const v1::Claims& claims) const { return value_or_throw(sign_access_token(claims, key_)); }

    static std::string part(const std::string& json) { return plugin_support::base64url_encode(json); }

    SigningKey key_, other_;
};

TEST_F(AccessTokenTest, SignedTokensVerifyWithTheirClaims) {
    v1::Claims original = claims();
    original.set_device(std::string(64, 'c'));
    auto verified = verify_access_token(sign(original), keys(), kNow);
    ASSERT_TRUE(verified.ok()) << verified.status().message();
    EXPECT_EQ(verified->subject(), "u_0123456789abcdef");
    EXPECT_EQ(verified->username(), "alice");
    EXPECT_EQ(verified->roles(0), "member");
    EXPECT_EQ(verified->device(), std::string(64, 'c'));
    EXPECT_EQ(verified->expires_unix_s(), kNow + 900);
    EXPECT_EQ(verified->key_id(), key_.id);
}

TEST_F(AccessTokenTest, TheHeaderNamesTheKeyAndES256) {
    std::string token = sign(claims());
    std::string header;
    ASSERT_TRUE(plugin_support::base64url_decode(token.substr(0, token.find('.')), header));
    EXPECT_NE(header.find("\"alg\":\"ES256\""), std::string::npos) << header;
    EXPECT_NE(header.find("\"kid\":\"" + key_.id + "\""), std::string::npos) << header;
}

TEST_F(AccessTokenTest, ExpiredAndFutureTokensAreRefused) {
    auto expired = verify_access_token(sign(claims(kNow - 1)), keys(), kNow);
    EXPECT_EQ(expired.status().code(), sdk::Code::unauthenticated);
    EXPECT_NE(expired.status().message().find("expired"), std::string::npos);
    v1::Claims future = claims(kNow + 5000);
    future.set_issued_unix_s(kNow + 3600);
    EXPECT_NE(verify_access_token(sign(future), keys(), kNow).status().message().find("future"), std::string::npos);
}

TEST_F(AccessTokenTest, AnUnknownKeyIsRefused) {
    std::string token = value_or_throw(sign_access_token(claims(), other_));
    auto refused = verify_access_token(token, keys(), kNow);
    EXPECT_NE(refused.status().message().find("unknown key"), std::string::npos) << refused.status().message();
}

TEST_F(AccessTokenTest, ATamperedPayloadFailsTheSignature) {
    std::string token = sign(claims());
    size_t first = token.find('.'), second = token.find('.', first + 1);
    v1::Claims admin = claims();
    std::string forged_payload = part(R"({"iss":"lanchat","sub":"u_0123456789abcdef","name":"alice","jti":"t_1",)"
                                      R"("iat":1800000000,"exp":1800000900,"roles":["admin"]})");
    std::string forged = token.substr(0, first + 1) + forged_payload + token.substr(second);
    auto refused = verify_access_token(forged, keys(), kNow);
    EXPECT_EQ(refused.status().code(), sdk::Code::unauthenticated);
    EXPECT_NE(refused.status().message().find("signature"), std::string::npos) << refused.status().message();
}

TEST_F(AccessTokenTest, AlgNoneAndAlgorithmConfusionAreRefused) {
    std::string payload =
        part(R"({"iss":"lanchat","sub":"u_1","name":"alice","jti":"t_1","iat":1800000000,"exp":1800000900})");
    for (const char* alg : {"none", "None", "HS256", "ES384", "RS256"}) {
        std::string header = part(std::string(R"({"alg":")") + alg + R"(","typ":"JWT","kid":")" + key_.id + R"("})");
        auto refused = verify_access_token(header + "." + payload + ".", keys(), kNow);
        EXPECT_EQ(refused.status().code(), sdk::Code::unauthenticated) << alg;
    }
    // The classic forgery: HMAC with the published public key as the secret.
    jwt_t* jwt = nullptr;
    ASSERT_EQ(jwt_new(&jwt), 0);
    jwt_add_grant(jwt, "iss", "lanchat");
    jwt_add_grant(jwt, "sub", "u_1");
    jwt_add_grant(jwt, "name", "alice");
    jwt_add_grant(jwt, "jti", "t_1");
    jwt_add_grant_int(jwt, "iat", kNow);
    jwt_add_grant_int(jwt, "exp", kNow + 900);
    jwt_add_header(jwt, "kid", key_.id.c_str());
    jwt_set_alg(jwt, JWT_ALG_HS256, reinterpret_cast<const unsigned char*>(key_.public_key_pem.data()),
                static_cast<int>(key_.public_key_pem.size()));
    char* hmac = jwt_encode_str(jwt);
    std::string forged(hmac);
    free(hmac);  // NOLINT
    jwt_free(jwt);
    auto refused = verify_access_token(forged, keys(), kNow);
    EXPECT_NE(refused.status().message().find("ES256"), std::string::npos) << refused.status().message();
}

TEST_F(AccessTokenTest, MalformedTokensGetAReason) {
    for (const std::string& token :
         {std::string(), std::string("abc"), std::string("a.b"), std::string("a.b.c.d"), std::string("!!!.e30.sig"),
          part("[1]") + ".e30.sig", part("{}") + ".e30.sig", std::string(kMaxTokenBytes + 1, 'a')}) {
        auto refused = verify_access_token(token, keys(), kNow);
        EXPECT_EQ(refused.status().code(), sdk::Code::unauthenticated) << token.substr(0, 40);
        EXPECT_FALSE(refused.status().message().empty());
    }
}

// Every single-byte change and every truncation of a valid token is refused, and nothing crashes.
TEST_F(AccessTokenTest, MutatedTokensNeverVerify) {
    const std::string token = sign(claims());
    std::mt19937 random(42);
    const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ \"{}\x00\xff";
    int refused = 0;
    for (int round = 0; round < 3000; ++round) {
        std::string mutated = token;
        if (round % 3 == 0) {
            mutated.resize(random() % token.size());
        } else {
            size_t at = random() % mutated.size();
            char replacement = alphabet[random() % alphabet.size()];
            if (replacement == mutated[at]) continue;
            mutated[at] = replacement;
        }
        auto verified = verify_access_token(mutated, keys(), kNow);
        // base64url's last character may carry unused bits; only those two-bit flips can decode equal.
        if (verified.ok()) {
            EXPECT_EQ(verified->subject(), "u_0123456789abcdef");
            continue;
        }
        ++refused;
        EXPECT_EQ(verified.status().code(), sdk::Code::unauthenticated);
    }
    EXPECT_GT(refused, 2900);
}

// A key as the store gives it back has only its PEM: it verifies the same, and parsing it once fills the key in.
TEST_F(AccessTokenTest, AKeyWithoutItsParsedPublicKeyVerifiesTheSameAndABrokenPemIsRefused) {
    SigningKey stored = key_;
    stored.public_key.reset();
    KeyLookup lookup = [&](const std::string& id) -> const SigningKey* { return id == stored.id ? &stored : nullptr; };
    auto verified = verify_access_token(sign(claims()), lookup, kNow);
    ASSERT_TRUE(verified.ok()) << verified.status().message();
    EXPECT_EQ(verified->subject(), "u_0123456789abcdef");
    ASSERT_TRUE(parse_public_key(stored).ok());
    EXPECT_TRUE(stored.public_key);
    EXPECT_TRUE(verify_access_token(sign(claims()), lookup, kNow).ok());

    SigningKey broken = key_;
    broken.public_key_pem = "-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----\n";
    sdk::Status refused = parse_public_key(broken);
    EXPECT_EQ(refused.code(), sdk::Code::internal);
    EXPECT_NE(refused.message().find(broken.id), std::string::npos) << refused.message();
}

// Signed with the right key, yet not claims of ours: each is refused with what is wrong.
TEST_F(AccessTokenTest, ClaimsOfTheWrongTypeAreRefusedEvenUnderAGoodSignature) {
    auto signed_with = [&](const char* grant, const char* value) {
        jwt_t* jwt = nullptr;
        EXPECT_EQ(jwt_new(&jwt), 0);
        jwt_add_grant(jwt, "iss", "lanchat");
        jwt_add_grant(jwt, "sub", "u_1");
        jwt_add_grant(jwt, "name", "alice");
        jwt_add_grant(jwt, "jti", "t_1");
        if (std::string(grant) != "iat") jwt_add_grant_int(jwt, "iat", kNow);
        jwt_add_grant_int(jwt, "exp", kNow + 900);
        jwt_add_grant(jwt, grant, value);
        jwt_add_header(jwt, "kid", key_.id.c_str());
        jwt_set_alg(jwt, JWT_ALG_ES256, reinterpret_cast<const unsigned char*>(key_.private_key_pem.data()),
                    static_cast<int>(key_.private_key_pem.size()));
        char* encoded = jwt_encode_str(jwt);
        std::string token(encoded);
        free(encoded);  // NOLINT
        jwt_free(jwt);
        return token;
    };
    auto reason = [&](const std::string& token) { return verify_access_token(token, keys(), kNow).status().message(); };
    EXPECT_NE(reason(signed_with("iat", "soon")).find("iat and exp must be numbers"), std::string::npos);
    EXPECT_NE(reason(signed_with("roles", "admin")).find("roles must be an array"), std::string::npos);
    EXPECT_TRUE(verify_access_token(signed_with("dev", std::string(64, 'c').c_str()), keys(), kNow).ok());
}

TEST_F(AccessTokenTest, PublicKeysAreOfferedAsJwk) {
    std::string jwk = value_or_throw(public_jwk(key_));
    EXPECT_NE(jwk.find("\"kty\":\"EC\""), std::string::npos);
    EXPECT_NE(jwk.find("\"crv\":\"P-256\""), std::string::npos);
    EXPECT_NE(jwk.find("\"kid\":\"" + key_.id + "\""), std::string::npos);
}

}  // namespace
}  // namespace lanchat::auth

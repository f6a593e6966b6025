// The node's one revocation check against a real PKI's CRL: what it refuses at start, and what a CRL
// replaced while the node runs can and cannot change.
#include "net/revocation.hpp"

#include <gtest/gtest.h>

#include <openssl/pem.h>
#include <chrono>
#include <thread>

#include <chrono>
#include <ctime>

#include "lanchat/pki/certificate_authority.hpp"
#include "lanchat/pki/openssl_handles.hpp"
#include "logging/log.hpp"
#include "temp_dir.hpp"

namespace lanchat::host::net {
namespace {

namespace fs = std::filesystem;

pki::Certificate read_certificate(const fs::path& file) {
    FILE* in = std::fopen(file.c_str(), "r");
    pki::Certificate certificate(in ? PEM_read_X509(in, nullptr, nullptr, nullptr) : nullptr);
    if (in) std::fclose(in);
    return certificate;
}

// Writes to `out` an empty CRL signed by `layout`'s CA whose nextUpdate is `next_update` seconds from now.
void write_crl(const pki::PkiLayout& layout, const fs::path& out, long next_update) {
    FILE* in = std::fopen(layout.ca_key().c_str(), "r");
    ASSERT_NE(in, nullptr);
    pki::Key key(PEM_read_PrivateKey(in, nullptr, nullptr, nullptr));
    std::fclose(in);
    pki::Certificate ca = read_certificate(layout.ca_certificate());
    ASSERT_TRUE(key && ca);
    pki::Crl crl(X509_CRL_new());
    X509_CRL_set_version(crl.get(), 1);
    X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(ca.get()));
    pki::Asn1Time last(ASN1_TIME_adj(nullptr, std::time(nullptr), 0, -7200));
    pki::Asn1Time next(ASN1_TIME_adj(nullptr, std::time(nullptr), 0, next_update));
    X509_CRL_set1_lastUpdate(crl.get(), last.get());
    X509_CRL_set1_nextUpdate(crl.get(), next.get());
    ASSERT_GT(X509_CRL_sign(crl.get(), key.get(), EVP_sha256()), 0);
    FILE* file = std::fopen(out.c_str(), "w");
    ASSERT_NE(file, nullptr);
    PEM_write_X509_CRL(file, crl.get());
    std::fclose(file);
}

// A file changed now must look changed even on a coarse clock.
void touch_later(const fs::path& file) {
    fs::last_write_time(file, fs::last_write_time(file) + std::chrono::seconds(5));
}

class RevocationsTest : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(pki::init_ca(layout_, {"lan-chat.test", pki::KeyAlgorithm::ecdsa_p256, 30}).ok());
        ASSERT_TRUE(pki::issue_node(layout_, "n", {"audit"}, {}).ok());
        ASSERT_TRUE(pki::init_ca(other_, {"lan-chat.test", pki::KeyAlgorithm::ecdsa_p256, 30}).ok());
    }

    sdk::Result<std::shared_ptr<Revocations>> load() {
        return Revocations::load(layout_.crl(), layout_.ca_certificate(), log_);
    }

    testing::TempDir dir_;
    pki::PkiLayout layout_{dir_.path() / "pki"};
    pki::PkiLayout other_{dir_.path() / "other"};
    NodeLog log_{LogFormat::text, LANCHAT_LOG_ERROR};
};

TEST_F(RevocationsTest, AMissingCrlIsAnErrorNotNothingRevoked) {
    fs::remove(layout_.crl());
    auto loaded = load();
    ASSERT_FALSE(loaded.ok());
    EXPECT_EQ(loaded.status().code(), sdk::Code::failed_precondition);
    EXPECT_NE(loaded.status().message().find(layout_.crl().string() + " is missing"), std::string::npos)
        << loaded.status().message();
}

TEST_F(RevocationsTest, ACrlNotSignedByOurCaOrPastItsNextUpdateIsRefusedAtStart) {
    fs::copy_file(other_.crl(), layout_.crl(), fs::copy_options::overwrite_existing);
    auto foreign = load();
    ASSERT_FALSE(foreign.ok());
    EXPECT_NE(foreign.status().message().find("is not signed by the CA"), std::string::npos)
        << foreign.status().message();

    write_crl(layout_, layout_.crl(), -3600);
    auto expired = load();
    ASSERT_FALSE(expired.ok());
    EXPECT_NE(expired.status().message().find("expired at"), std::string::npos) << expired.status().message();
}

TEST_F(RevocationsTest, ARevokedCertificateIsRefusedAndABadReplacementCrlDoesNotUndoIt) {
    const fs::path node = layout_.node_dir("n") / "node.crt";
    ASSERT_TRUE(pki::revoke(layout_, node).ok());
    auto revocations = load();
    ASSERT_TRUE(revocations.ok()) << revocations.status().message();
    pki::Certificate certificate = read_certificate(node);
    EXPECT_NE((*revocations)->refusal(certificate.get()).find("is revoked"), std::string::npos);
    pki::Certificate ca = read_certificate(layout_.ca_certificate());
    EXPECT_EQ((*revocations)->refusal(ca.get()), "");

    for (bool removed : {false, true}) {
        fs::copy_file(other_.crl(), layout_.crl(), fs::copy_options::overwrite_existing);  // empty, foreign
        touch_later(layout_.crl());
        if (removed) fs::remove(layout_.crl());
        EXPECT_NE((*revocations)->refusal(certificate.get()).find("is revoked"), std::string::npos) << removed;
    }
}

TEST_F(RevocationsTest, OnceTheCrlInForceIsPastItsNextUpdateEveryCertificateIsRefused) {
    write_crl(layout_, layout_.crl(), 1);
    auto revocations = load();
    ASSERT_TRUE(revocations.ok()) << revocations.status().message();
    pki::Certificate certificate = read_certificate(layout_.node_dir("n") / "node.crt");
    EXPECT_EQ((*revocations)->refusal(certificate.get()), "");
    std::this_thread::sleep_for(std::chrono::milliseconds(2100));  // the list's nextUpdate passes
    EXPECT_NE((*revocations)->refusal(certificate.get()).find("expired at"), std::string::npos);
    write_crl(layout_, layout_.crl(), 3600);  // re-signed
    touch_later(layout_.crl());
    EXPECT_EQ((*revocations)->refusal(certificate.get()), "");
}

TEST_F(RevocationsTest, AnExpiredOrOlderReplacementLeavesTheListInForce) {
    const fs::path node = layout_.node_dir("n") / "node.crt";
    ASSERT_TRUE(pki::revoke(layout_, node).ok());  // signed now
    auto revocations = load();
    ASSERT_TRUE(revocations.ok()) << revocations.status().message();
    pki::Certificate certificate = read_certificate(node);
    for (long next_update : {-60L, 3600L}) {  // expired; or still valid but of two hours ago, before the revoke
        write_crl(layout_, layout_.crl(), next_update);
        touch_later(layout_.crl());
        EXPECT_NE((*revocations)->refusal(certificate.get()).find("is revoked"), std::string::npos) << next_update;
    }
}

}  // namespace
}  // namespace lanchat::host::net

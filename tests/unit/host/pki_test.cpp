#include "lanchat/pki/certificate_authority.hpp"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include "lanchat/pki/openssl_handles.hpp"
#include "temp_dir.hpp"

namespace lanchat::pki {
namespace {

namespace fs = std::filesystem;

Certificate load(const fs::path& path) {
    FILE* file = std::fopen(path.c_str(), "r");
    EXPECT_NE(file, nullptr) << path;
    if (file == nullptr) return nullptr;
    Certificate certificate(PEM_read_X509(file, nullptr, nullptr, nullptr));
    std::fclose(file);
    return certificate;
}

std::vector<std::string> names_of(X509* certificate, int type) {
    std::vector<std::string> found;
    GeneralNames names(
        static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr)));
    for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
        const GENERAL_NAME* entry = sk_GENERAL_NAME_value(names.get(), i);
        if (entry->type != type) continue;
        const ASN1_IA5STRING* text = type == GEN_URI ? entry->d.uniformResourceIdentifier : entry->d.dNSName;
        found.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(text)), ASN1_STRING_length(text));
    }
    return found;
}

bool verifies(X509* ca, X509* leaf) {
    Store store(X509_STORE_new());
    X509_STORE_add_cert(store.get(), ca);
    StoreContext context(X509_STORE_CTX_new());
    X509_STORE_CTX_init(context.get(), store.get(), leaf, nullptr);
    return X509_verify_cert(context.get()) == 1;
}

// The SPIFFE X.509-SVID leaf rules: one URI SAN, CA=false, digitalSignature, no keyCertSign or cRLSign.
void expect_spiffe_leaf(X509* leaf, const std::string& spiffe_id) {
    EXPECT_EQ(names_of(leaf, GEN_URI), std::vector<std::string>{spiffe_id});
    EXPECT_EQ(X509_check_ca(leaf), 0);
    uint32_t usage = X509_get_key_usage(leaf);
    EXPECT_TRUE(usage & KU_DIGITAL_SIGNATURE);
    EXPECT_FALSE(usage & KU_KEY_CERT_SIGN);
    EXPECT_FALSE(usage & KU_CRL_SIGN);
}

class PkiTest : public ::testing::Test {
protected:
    void SetUp() override { ASSERT_TRUE(init_ca(layout_, {"lan-chat.local", KeyAlgorithm::ecdsa_p256, 3650}).ok()); }

    lanchat::testing::TempDir dir_;
    PkiLayout layout_{dir_.path() / "pki"};
};

TEST_F(PkiTest, InitWritesARootCaWhoseKeyOnlyTheOwnerCanRead) {
    struct stat key {};
    ASSERT_EQ(stat(layout_.ca_key().c_str(), &key), 0);
    EXPECT_EQ(key.st_mode & 0777, 0600);
    Certificate ca = load(layout_.ca_certificate());
    EXPECT_EQ(X509_check_ca(ca.get()), 1);
    EXPECT_TRUE(X509_get_key_usage(ca.get()) & KU_KEY_CERT_SIGN);
    EXPECT_EQ(names_of(ca.get(), GEN_URI), std::vector<std::string>{"spiffe://lan-chat.local"});
    EXPECT_TRUE(fs::exists(layout_.crl()));
}

TEST_F(PkiTest, InitRefusesToOverwriteAnExistingPki) {
    sdk::Status again = init_ca(layout_, {"other.local", KeyAlgorithm::ed25519, 10});
    EXPECT_EQ(again.code(), sdk::Code::already_exists);
    EXPECT_EQ(again.message(),
              layout_.ca_certificate().string() + " already exists; refusing to overwrite an existing PKI");
}

TEST_F(PkiTest, ANodeGetsAServerCertificateForItsServicesAndOneIdentityPerService) {
    auto issued = issue_node(layout_, "node-1", {"audit", "auth"}, {});
    ASSERT_TRUE(issued.ok()) << issued.status().message();
    EXPECT_EQ(issued->certificates.size(), 3u);
    Certificate ca = load(layout_.ca_certificate());

    Certificate node = load(layout_.node_dir("node-1") / "node.crt");
    expect_spiffe_leaf(node.get(), "spiffe://lan-chat.local/node/node-1");
    EXPECT_EQ(names_of(node.get(), GEN_DNS), (std::vector<std::string>{"audit.lan-chat.svc", "auth.lan-chat.svc"}));
    EXPECT_TRUE(verifies(ca.get(), node.get()));

    Certificate audit = load(layout_.node_dir("node-1") / "audit.crt");
    expect_spiffe_leaf(audit.get(), "spiffe://lan-chat.local/svc/audit");
    EXPECT_EQ(names_of(audit.get(), GEN_DNS), std::vector<std::string>{"audit.lan-chat.svc"});
    EXPECT_TRUE(verifies(ca.get(), audit.get()));
    struct stat key {};
    ASSERT_EQ(stat((layout_.node_dir("node-1") / "audit.key").c_str(), &key), 0);
    EXPECT_EQ(key.st_mode & 0777, 0600);
}

// The addresses people's browsers use must be in the node certificate, or trusting the CA is not enough.
TEST_F(PkiTest, ANodeCertificateCarriesTheAddressesClientsUse) {
    IssueOptions options;
    options.addresses = {"127.0.0.1", "::1", "chat.example.lan"};
    ASSERT_TRUE(issue_node(layout_, "n", {"gateway"}, options).ok());
    Certificate node = load(layout_.node_dir("n") / "node.crt");
    EXPECT_EQ(names_of(node.get(), GEN_DNS), (std::vector<std::string>{"gateway.lan-chat.svc", "chat.example.lan"}));
    EXPECT_EQ(X509_check_ip_asc(node.get(), "127.0.0.1", 0), 1);
    EXPECT_EQ(X509_check_ip_asc(node.get(), "::1", 0), 1);
    EXPECT_EQ(X509_check_ip_asc(node.get(), "10.0.0.1", 0), 0);
    auto described = inspect(layout_.node_dir("n") / "node.crt", std::nullopt);
    ASSERT_TRUE(described.ok());
    EXPECT_NE(described->find("IP addresses: 127.0.0.1, ::1\n"), std::string::npos) << *described;

    for (std::string bad : {"Chat Room", "chat..lan", "-chat.lan", "chat.lan.", "10.0.0.0/24"}) {
        options.addresses = {bad};
        EXPECT_EQ(issue_node(layout_, "n", {"gateway"}, options).status().message(),
                  "address '" + bad + "' is neither an IP address nor a lowercase host name");
    }
}

TEST_F(PkiTest, OperatorAndDeviceCertificatesAreClientOnly) {
    ASSERT_TRUE(issue_client(layout_, ClientKind::operator_user, "alice", {}).ok());
    ASSERT_TRUE(issue_client(layout_, ClientKind::device, "laptop-1", {KeyAlgorithm::ed25519, 30, {}}).ok());
    Certificate alice = load(layout_.client_dir() / "operator-alice.crt");
    expect_spiffe_leaf(alice.get(), "spiffe://lan-chat.local/operator/alice");
    EXPECT_EQ(X509_get_extended_key_usage(alice.get()), static_cast<uint32_t>(XKU_SSL_CLIENT));
    Certificate laptop = load(layout_.client_dir() / "device-laptop-1.crt");
    expect_spiffe_leaf(laptop.get(), "spiffe://lan-chat.local/device/laptop-1");
    EXPECT_EQ(EVP_PKEY_get_id(X509_get0_pubkey(laptop.get())), EVP_PKEY_ED25519);
}

TEST_F(PkiTest, AnEd25519CaIssuesVerifiableCertificates) {
    PkiLayout edwards{dir_.path() / "ed"};
    ASSERT_TRUE(init_ca(edwards, {"ed.local", KeyAlgorithm::ed25519, 365}).ok());
    ASSERT_TRUE(issue_node(edwards, "n", {"channel"}, {}).ok());
    Certificate ca = load(edwards.ca_certificate());
    Certificate leaf = load(edwards.node_dir("n") / "channel.crt");
    EXPECT_EQ(EVP_PKEY_get_id(X509_get0_pubkey(ca.get())), EVP_PKEY_ED25519);
    EXPECT_TRUE(verifies(ca.get(), leaf.get()));
}

TEST_F(PkiTest, RevokeListsTheSerialInTheCrlOnceAndOnlyForItsOwnCertificates) {
    ASSERT_TRUE(issue_client(layout_, ClientKind::device, "phone", {}).ok());
    fs::path phone = layout_.client_dir() / "device-phone.crt";
    ASSERT_TRUE(revoke(layout_, phone).ok());
    auto described = inspect(phone, layout_);
    ASSERT_TRUE(described.ok());
    EXPECT_NE(described->find("revoked:     yes, since "), std::string::npos) << *described;

    sdk::Status twice = revoke(layout_, phone);
    EXPECT_EQ(twice.code(), sdk::Code::already_exists);

    PkiLayout other{dir_.path() / "other"};
    ASSERT_TRUE(init_ca(other, {"other.local", KeyAlgorithm::ecdsa_p256, 10}).ok());
    ASSERT_TRUE(issue_client(other, ClientKind::device, "stranger", {}).ok());
    fs::path stranger = other.client_dir() / "device-stranger.crt";
    EXPECT_EQ(revoke(layout_, stranger).message(),
              stranger.string() + " was not issued by " + layout_.ca_certificate().string());
}

TEST_F(PkiTest, BadNamesAndMissingCaAreRefusedWithTheReason) {
    EXPECT_EQ(issue_node(layout_, "n", {"Audit"}, {}).status().message(),
              "service name 'Audit' is not valid: use 1 to 63 lowercase letters, digits and '-', not starting or "
              "ending with '-'");
    EXPECT_EQ(issue_node(layout_, "n", {}, {}).status().message(),
              "a node needs at least one service (--service NAME)");
    EXPECT_EQ(issue_node(layout_, "n", {"audit"}, {KeyAlgorithm::ecdsa_p256, 0, {}}).status().message(),
              "--days must be between 1 and 36500, got 0");
    PkiLayout empty{dir_.path() / "empty"};
    EXPECT_EQ(issue_node(empty, "n", {"audit"}, {}).status().message(),
              empty.ca_certificate().string() +
                  ": cannot read certificate: No such file or directory (run "
                  "'lanchatctl pki init' first?)");
}

TEST_F(PkiTest, InspectDescribesWhatTheCertificateSays) {
    ASSERT_TRUE(issue_node(layout_, "n", {"presence"}, {}).ok());
    auto described = inspect(layout_.node_dir("n") / "presence.crt", layout_);
    ASSERT_TRUE(described.ok());
    EXPECT_NE(described->find("SPIFFE ID:   spiffe://lan-chat.local/svc/presence\n"), std::string::npos) << *described;
    EXPECT_NE(described->find("DNS names:   presence.lan-chat.svc\n"), std::string::npos);
    EXPECT_NE(described->find("CA:          no\n"), std::string::npos);
    EXPECT_NE(described->find("verified:    yes, by "), std::string::npos);
    EXPECT_NE(described->find("revoked:     no\n"), std::string::npos);
    EXPECT_NE(described->find("(valid now)"), std::string::npos);
}

}  // namespace
}  // namespace lanchat::pki

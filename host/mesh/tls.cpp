#include "mesh/tls.hpp"

#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_certificate_verifier.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <openssl/pem.h>
#include <sys/stat.h>

#include <mutex>
#include <set>

#include "lanchat/pki/openssl_handles.hpp"
#include "lanchat/pki/serial_number.hpp"
#include "logging/log.hpp"

namespace lanchat::host::mesh {
namespace fs = std::filesystem;
namespace {

sdk::Status readable(const fs::path& file, const char* what) {
    std::error_code error;
    if (fs::is_regular_file(file, error)) return {};
    return sdk::failed_precondition(std::string(what) + " " + file.string() +
                                    " not found; create it with 'lanchatctl pki' (see README, The local PKI)");
}

// Serials listed in a CRL file, re-read when its modification time changes.
class RevocationList {
public:
    explicit RevocationList(fs::path file) : file_(std::move(file)) {}

    bool revoked(const std::string& serial_hex) {
        std::lock_guard lock(mutex_);
        refresh();
        return serials_.count(serial_hex) != 0;
    }

private:
    void refresh() {
        struct stat info {};
        if (::stat(file_.c_str(), &info) != 0) return;
        if (info.st_mtim.tv_sec == loaded_.tv_sec && info.st_mtim.tv_nsec == loaded_.tv_nsec) return;
        FILE* in = std::fopen(file_.c_str(), "r");
        if (in == nullptr) return;
        pki::Crl crl(PEM_read_X509_CRL(in, nullptr, nullptr, nullptr));
        std::fclose(in);
        if (!crl) return;  // keep the last good list rather than forgetting revocations
        std::set<std::string> serials;
        STACK_OF(X509_REVOKED)* entries = X509_CRL_get_REVOKED(crl.get());
        for (int i = 0; i < sk_X509_REVOKED_num(entries); ++i) {
            serials.insert(pki::serial_hex(X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(entries, i))));
        }
        serials_.swap(serials);
        loaded_ = info.st_mtim;
    }

    fs::path file_;
    std::mutex mutex_;
    timespec loaded_{};
    std::set<std::string> serials_;
};

// Runs after gRPC has verified the chain: the SPIFFE and revocation rules gRPC does not know.
class PeerVerifier final : public grpc::experimental::ExternalCertificateVerifier {
public:
    PeerVerifier(std::string trust_domain, fs::path crl, NodeLog& log)
        : spiffe_prefix_("spiffe://" + trust_domain + "/"), crl_(std::move(crl)), log_(log) {}

    bool Verify(grpc::experimental::TlsCustomVerificationCheckRequest* request, std::function<void(grpc::Status)>,
                grpc::Status* result) override {
        *result = check(*request);
        if (!result->ok()) log_.warn("refused a TLS peer", {{"reason", result->error_message()}});
        return true;
    }
    void Cancel(grpc::experimental::TlsCustomVerificationCheckRequest*) override {}

private:
    grpc::Status check(const grpc::experimental::TlsCustomVerificationCheckRequest& request) {
        std::vector<grpc::string_ref> uris = request.uri_names();
        if (uris.size() != 1) {
            return {grpc::StatusCode::UNAUTHENTICATED,
                    "peer certificate has " + std::to_string(uris.size()) + " URI SANs; SPIFFE requires exactly one"};
        }
        std::string uri(uris[0].data(), uris[0].size());
        if (uri.rfind(spiffe_prefix_, 0) != 0) {
            return {grpc::StatusCode::UNAUTHENTICATED, "peer " + uri + " is not in trust domain " + spiffe_prefix_};
        }
        grpc::string_ref pem = request.peer_cert();
        pki::Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
        pki::Certificate certificate(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
        if (!certificate) return {grpc::StatusCode::UNAUTHENTICATED, "peer certificate unreadable"};
        if (crl_.revoked(pki::serial_hex(X509_get0_serialNumber(certificate.get())))) {
            return {grpc::StatusCode::UNAUTHENTICATED, "peer " + uri + " presented a revoked certificate"};
        }
        return grpc::Status::OK;
    }

    std::string spiffe_prefix_;
    RevocationList crl_;
    NodeLog& log_;
};

}  // namespace

sdk::Result<std::shared_ptr<grpc::ServerCredentials>> server_credentials(const fs::path& ca,
                                                                         const fs::path& certificate,
                                                                         const fs::path& key, const fs::path& crl,
                                                                         const std::string& trust_domain,
                                                                         NodeLog& log) {
    for (auto [file, what] : {std::pair{ca, "CA certificate"}, {certificate, "node certificate"}, {key, "node key"}}) {
        if (sdk::Status status = readable(file, what); !status.ok()) return status;
    }
    auto provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
        key.string(), certificate.string(), ca.string(), kCertificateRefreshSeconds);
    grpc::experimental::TlsServerCredentialsOptions options(provider);
    options.watch_root_certs();
    options.watch_identity_key_cert_pairs();
    options.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    options.set_certificate_verifier(
        grpc::experimental::ExternalCertificateVerifier::Create<PeerVerifier>(trust_domain, crl, log));
    return grpc::experimental::TlsServerCredentials(options);
}

sdk::Result<std::shared_ptr<grpc::ChannelCredentials>> channel_credentials(const fs::path& ca,
                                                                           const fs::path& certificate,
                                                                           const fs::path& key) {
    for (auto [file, what] :
         {std::pair{ca, "CA certificate"}, {certificate, "service certificate"}, {key, "service key"}}) {
        if (sdk::Status status = readable(file, what); !status.ok()) return status;
    }
    auto provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
        key.string(), certificate.string(), ca.string(), kCertificateRefreshSeconds);
    grpc::experimental::TlsChannelCredentialsOptions options;
    options.set_certificate_provider(provider);
    options.watch_root_certs();
    options.watch_identity_key_cert_pairs();
    options.set_verify_server_certs(true);
    return grpc::experimental::TlsCredentials(options);
}

}  // namespace lanchat::host::mesh

#include "mesh/tls.hpp"

#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_certificate_verifier.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <openssl/pem.h>

#include "lanchat/pki/openssl_handles.hpp"
#include "logging/log.hpp"
#include "net/revocation.hpp"

namespace lanchat::host::mesh {
namespace fs = std::filesystem;
namespace {

constexpr std::string_view kDevicePath = "device/";  // spiffe://<domain>/device/<name>, from pki issue-client

sdk::Status readable(const fs::path& file, const char* what) {
    std::error_code error;
    if (fs::is_regular_file(file, error)) return {};
    return sdk::failed_precondition(std::string(what) + " " + file.string() +
                                    " not found; create it with 'lanchatctl pki' (see README, The local PKI)");
}

// The peer certificate of a TLS check, parsed from the PEM gRPC hands over.
pki::Certificate peer_certificate(const grpc::experimental::TlsCustomVerificationCheckRequest& request) {
    grpc::string_ref pem = request.peer_cert();
    pki::Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    return pki::Certificate(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

// Runs after gRPC has verified the chain: the SPIFFE and revocation rules gRPC does not know.
class PeerVerifier final : public grpc::experimental::ExternalCertificateVerifier {
public:
    PeerVerifier(std::string trust_domain, std::shared_ptr<net::Revocations> revocations, NodeLog& log)
        : spiffe_prefix_("spiffe://" + trust_domain + "/"), revocations_(std::move(revocations)), log_(log) {}

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
        // End users' device certificates are for the client edge: on the mesh they would reach what no
        // method rule covers (gRPC Health) and what is open to the whole domain (Discovery).
        if (uri.compare(spiffe_prefix_.size(), kDevicePath.size(), kDevicePath) == 0) {
            return {grpc::StatusCode::PERMISSION_DENIED,
                    "peer " + uri + " is an end user's device certificate: those connect to the client edge only"};
        }
        pki::Certificate certificate = peer_certificate(request);
        if (!certificate) return {grpc::StatusCode::UNAUTHENTICATED, "peer certificate unreadable"};
        if (std::string why = revocations_->refusal(certificate.get()); !why.empty()) {
            return {grpc::StatusCode::UNAUTHENTICATED, "peer " + uri + ": " + why};
        }
        return grpc::Status::OK;
    }

    std::string spiffe_prefix_;
    std::shared_ptr<net::Revocations> revocations_;
    NodeLog& log_;
};

// The client's side: after gRPC has verified the server's chain, the server's name and the same revocation
// check. A verifier of our own replaces gRPC's default host name check, so it runs that check first: without
// it any server certificate of the PKI could answer for any service.
class ServerRevocationCheck final : public grpc::experimental::ExternalCertificateVerifier {
public:
    explicit ServerRevocationCheck(std::shared_ptr<net::Revocations> revocations)
        : revocations_(std::move(revocations)) {}

    bool Verify(grpc::experimental::TlsCustomVerificationCheckRequest* request, std::function<void(grpc::Status)>,
                grpc::Status* result) override {
        grpc::Status named;
        names_.Verify(
            request, [](grpc::Status) {}, &named);  // synchronous: the target against the SANs
        if (!named.ok()) {
            *result = grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "server: " + named.error_message());
            return true;
        }
        pki::Certificate certificate = peer_certificate(*request);
        std::string why = certificate ? revocations_->refusal(certificate.get()) : "server certificate unreadable";
        if (!why.empty()) {
            grpc::string_ref target = request->target_name();
            revocations_->report("mesh channel to " + std::string(target.data(), target.size()), why);
        }
        *result = why.empty() ? grpc::Status::OK : grpc::Status(grpc::StatusCode::UNAUTHENTICATED, "server: " + why);
        return true;
    }
    void Cancel(grpc::experimental::TlsCustomVerificationCheckRequest*) override {}

private:
    std::shared_ptr<net::Revocations> revocations_;
    grpc::experimental::HostNameCertificateVerifier names_;
};

}  // namespace

sdk::Result<std::shared_ptr<grpc::ServerCredentials>> server_credentials(
    const fs::path& ca, const fs::path& certificate, const fs::path& key, std::shared_ptr<net::Revocations> revocations,
    const std::string& trust_domain, NodeLog& log) {
    for (auto [file, what] : {std::pair{ca, "CA certificate"}, {certificate, "node certificate"}, {key, "node key"}}) {
        if (sdk::Status status = readable(file, what); !status.ok()) return status;
    }
    auto provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
        key.string(), certificate.string(), ca.string(), kCertificateRefreshSeconds);
    grpc::experimental::TlsServerCredentialsOptions options(provider);
    options.watch_root_certs();
    options.watch_identity_key_cert_pairs();
    options.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    options.set_certificate_verifier(grpc::experimental::ExternalCertificateVerifier::Create<PeerVerifier>(
        trust_domain, std::move(revocations), log));
    return grpc::experimental::TlsServerCredentials(options);
}

sdk::Result<std::shared_ptr<grpc::ChannelCredentials>> channel_credentials(
    const fs::path& ca, const fs::path& certificate, const fs::path& key,
    std::shared_ptr<net::Revocations> revocations) {
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
    options.set_certificate_verifier(
        grpc::experimental::ExternalCertificateVerifier::Create<ServerRevocationCheck>(std::move(revocations)));
    return grpc::experimental::TlsCredentials(options);
}

}  // namespace lanchat::host::mesh

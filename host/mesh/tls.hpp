// TLS for the mesh: server and channel credentials from the PKI directory, reloaded when the files change,
// and the server's extra peer checks (exactly one SPIFFE URI in the trust domain, not revoked).
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "host_fwd.hpp"
#include "lanchat/sdk/status.hpp"

namespace grpc {
class ServerCredentials;
class ChannelCredentials;
}  // namespace grpc

namespace lanchat::host::mesh {

// How often certificate, key and CA files are checked for changes (rotation without restart).
constexpr unsigned kCertificateRefreshSeconds = 1;

// Requires and verifies a client certificate from the CA; refuses peers without exactly one spiffe:// URI of
// `trust_domain`, end users' device certificates, and peers `revocations` refuses.
sdk::Result<std::shared_ptr<grpc::ServerCredentials>> server_credentials(const std::filesystem::path& ca,
                                                                         const std::filesystem::path& certificate,
                                                                         const std::filesystem::path& key,
                                                                         std::shared_ptr<net::Revocations> revocations,
                                                                         const std::string& trust_domain, NodeLog& log);

// Presents `certificate` and verifies the server against the CA, the name the caller targets and
// `revocations`.
sdk::Result<std::shared_ptr<grpc::ChannelCredentials>> channel_credentials(
    const std::filesystem::path& ca, const std::filesystem::path& certificate, const std::filesystem::path& key,
    std::shared_ptr<net::Revocations> revocations);

}  // namespace lanchat::host::mesh

// StubCache: the gRPC channels the mesh client calls through, made once and kept.
#pragma once

#include <grpcpp/generic/generic_stub.h>

#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "host_fwd.hpp"
#include "lanchat/sdk/status.hpp"

namespace grpc {
class ChannelCredentials;
}

namespace lanchat::host::mesh {

// One channel per (endpoint, calling service, target service): the caller's certificate is its identity and
// the target's DNS name is what the server certificate must carry. Each calling service's credentials are
// read from the PKI directory on its first call. Thread-safe.
class StubCache {
public:
    // Every channel checks the server's certificate against `revocations`.
    StubCache(std::filesystem::path pki_dir, std::string node, size_t max_message_bytes,
              std::shared_ptr<net::Revocations> revocations);

    // UNAUTHENTICATED, naming the lanchatctl command that fixes it, when `caller_service` has no certificate.
    sdk::Result<std::shared_ptr<grpc::GenericStub>> stub_for(const std::string& address,
                                                             const std::string& caller_service,
                                                             const std::string& service);

    // The SPIFFE ID `caller_service`'s certificate carries: who a callee sees calling, over the network or in
    // process. UNAUTHENTICATED as stub_for when it has no certificate.
    sdk::Result<std::string> identity_of(const std::string& caller_service);

private:
    sdk::Result<std::shared_ptr<grpc::ChannelCredentials>> credentials_of(const std::string& caller_service);

    const std::filesystem::path pki_dir_;
    const std::string node_;
    const std::shared_ptr<net::Revocations> revocations_;
    const size_t max_message_bytes_;
    std::mutex mutex_;                                                              // guards the maps
    std::map<std::string, std::shared_ptr<grpc::ChannelCredentials>> credentials_;  // by calling service
    std::map<std::string, std::shared_ptr<grpc::GenericStub>> stubs_;               // endpoint|caller|service
    std::map<std::string, std::string> identities_;                                 // by calling service
};

}  // namespace lanchat::host::mesh

#include "mesh/stub_cache.hpp"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include <openssl/pem.h>

#include <cstdio>

#include "lanchat/pki/certificate_authority.hpp"
#include "lanchat/pki/openssl_handles.hpp"
#include "lanchat/pki/subject_names.hpp"
#include "mesh/tls.hpp"

namespace lanchat::host::mesh {

StubCache::StubCache(std::filesystem::path pki_dir, std::string node, size_t max_message_bytes,
                     std::shared_ptr<net::Revocations> revocations)
    : pki_dir_(std::move(pki_dir)),
      node_(std::move(node)),
      revocations_(std::move(revocations)),
      max_message_bytes_(max_message_bytes) {}

sdk::Result<std::shared_ptr<grpc::GenericStub>> StubCache::stub_for(const std::string& address,
                                                                    const std::string& caller_service,
                                                                    const std::string& service) {
    std::lock_guard lock(mutex_);
    std::string key = address + "|" + caller_service + "|" + service;
    if (auto found = stubs_.find(key); found != stubs_.end()) return found->second;
    auto credentials = credentials_of(caller_service);
    if (!credentials.ok()) return credentials.status();
    grpc::ChannelArguments arguments;
    arguments.SetSslTargetNameOverride(pki::service_dns_name(service));
    arguments.SetMaxReceiveMessageSize(static_cast<int>(max_message_bytes_));
    arguments.SetMaxSendMessageSize(static_cast<int>(max_message_bytes_));
    auto stub = std::make_shared<grpc::GenericStub>(grpc::CreateCustomChannel(address, *credentials, arguments));
    stubs_.emplace(key, stub);
    return stub;
}

sdk::Result<std::string> StubCache::identity_of(const std::string& caller_service) {
    std::lock_guard lock(mutex_);
    if (auto found = identities_.find(caller_service); found != identities_.end()) return found->second;
    if (auto credentials = credentials_of(caller_service); !credentials.ok()) return credentials.status();
    const std::filesystem::path file = pki::PkiLayout{pki_dir_}.node_dir(node_) / (caller_service + ".crt");
    pki::Certificate certificate;
    if (FILE* in = std::fopen(file.c_str(), "r")) {
        certificate.reset(PEM_read_X509(in, nullptr, nullptr, nullptr));
        std::fclose(in);
    }
    std::string identity = certificate ? pki::spiffe_id(certificate.get()) : std::string();
    if (identity.empty()) {
        return sdk::Status(sdk::Code::unauthenticated, "the certificate " + file.string() + " of plugin '" +
                                                           caller_service + "' carries no SPIFFE ID");
    }
    identities_.emplace(caller_service, identity);
    return identity;
}

sdk::Result<std::shared_ptr<grpc::ChannelCredentials>> StubCache::credentials_of(const std::string& caller_service) {
    if (auto found = credentials_.find(caller_service); found != credentials_.end()) return found->second;
    pki::PkiLayout pki{pki_dir_};
    auto made = channel_credentials(pki.ca_certificate(), pki.node_dir(node_) / (caller_service + ".crt"),
                                    pki.node_dir(node_) / (caller_service + ".key"), revocations_);
    if (!made.ok()) {
        return sdk::Status(sdk::Code::unauthenticated,
                           "plugin '" + caller_service + "' has no mesh identity: " + made.status().message() +
                               " (lanchatctl pki issue --node " + node_ + " --service " + caller_service + ")");
    }
    credentials_.emplace(caller_service, *made);
    return *made;
}

}  // namespace lanchat::host::mesh

#include "mesh/stub_cache.hpp"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include "lanchat/pki/certificate_authority.hpp"
#include "mesh/tls.hpp"

namespace lanchat::host::mesh {

StubCache::StubCache(std::filesystem::path pki_dir, std::string node, size_t max_message_bytes)
    : pki_dir_(std::move(pki_dir)), node_(std::move(node)), max_message_bytes_(max_message_bytes) {}

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

sdk::Result<std::shared_ptr<grpc::ChannelCredentials>> StubCache::credentials_of(const std::string& caller_service) {
    if (auto found = credentials_.find(caller_service); found != credentials_.end()) return found->second;
    pki::PkiLayout pki{pki_dir_};
    auto made = channel_credentials(pki.ca_certificate(), pki.node_dir(node_) / (caller_service + ".crt"),
                                    pki.node_dir(node_) / (caller_service + ".key"));
    if (!made.ok()) {
        return sdk::Status(sdk::Code::unauthenticated,
                           "plugin '" + caller_service + "' has no mesh identity: " + made.status().message() +
                               " (lanchatctl pki issue --node " + node_ + " --service " + caller_service + ")");
    }
    credentials_.emplace(caller_service, *made);
    return *made;
}

}  // namespace lanchat::host::mesh

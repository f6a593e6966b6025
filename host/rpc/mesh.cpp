#include "rpc/mesh.hpp"

#include "logging/log.hpp"
#include "pki/certificate_authority.hpp"
#include "rpc/tls.hpp"

namespace lanchat::host::rpc {

Mesh::Mesh(MeshConfig config, std::string trust_domain)
    : config_(std::move(config)), policy_(std::move(trust_domain), config_.authorization) {}

Mesh::~Mesh() { shutdown(); }

sdk::Result<std::unique_ptr<Mesh>> Mesh::start(const MeshConfig& config, const std::string& node_name,
                                               const std::vector<std::string>& hosted, NodeLog& log,
                                               Executor& executor) {
    pki::PkiLayout pki{config.pki_dir};
    auto trust_domain = trust_domain_of(pki.ca_certificate());
    if (!trust_domain.ok()) return trust_domain.status();
    std::unique_ptr<Mesh> mesh(new Mesh(config, *trust_domain));
    auto credentials = server_credentials(pki.ca_certificate(), pki.node_dir(node_name) / "node.crt",
                                          pki.node_dir(node_name) / "node.key", pki.crl(), *trust_domain, log);
    if (!credentials.ok()) return credentials.status();
    auto server = MeshServer::start(config, *credentials, mesh->routes_, mesh->policy_, log);
    if (!server.ok()) return server.status();
    mesh->server_ = std::move(server).value();
    mesh->client_ = std::make_unique<MeshClient>(config, node_name, mesh->server_->address(), hosted, executor, log);
    if (!config.registry.empty()) {
        mesh->membership_ = std::make_unique<Membership>(*mesh->client_, executor, log, node_name, config.registry,
                                                         mesh->server_->address(), hosted, config.heartbeat);
    }
    return mesh;
}

void Mesh::publish_health(const RpcOwner* owner, bool serving) {
    for (const std::string& service : routes_.services_of(owner)) server_->set_health(service, serving);
}

void Mesh::shutdown() {
    membership_.reset();
    if (server_) server_->shutdown(std::chrono::milliseconds(500));
}

}  // namespace lanchat::host::rpc

#include "mesh/mesh.hpp"

#include <algorithm>

#include "lanchat/pki/certificate_authority.hpp"
#include "logging/log.hpp"
#include "mesh/grpc_log.hpp"
#include "mesh/tls.hpp"
#include "net/revocation.hpp"
#include "runtime/executor.hpp"

namespace lanchat::host::mesh {
namespace {

// In-process calls run on threads of their own, as gRPC's run the calls that arrive over the network: a
// few kept warm, and as many more as handlers blocked at once need (a store waiting for its commit).
constexpr size_t kKeptLocalThreads = 2;
constexpr size_t kMaxLocalThreads = 64;

}  // namespace

Mesh::Mesh(MeshConfig config, std::string trust_domain)
    : config_(std::move(config)), policy_(std::move(trust_domain), config_.authorization) {}

// Every in-process call has ended by now (each plugin's stop waits for its calls): what remains are
// deadlines of answered calls and tasks about to finish, and both go before the client they reach.
Mesh::~Mesh() {
    shutdown();
    local_deadlines_.reset();
    local_threads_.reset();
}

sdk::Result<std::unique_ptr<Mesh>> Mesh::start(const MeshConfig& config, const std::string& node_name,
                                               const std::vector<std::string>& hosted, NodeLog& log, Executor& executor,
                                               metrics::Registry& metrics, TraceWriter* traces) {
    route_grpc_logs(log);
    pki::PkiLayout pki{config.pki_dir};
    auto trust_domain = pki::trust_domain_of(pki.ca_certificate());
    if (!trust_domain.ok()) return trust_domain.status();
    std::unique_ptr<Mesh> mesh(new Mesh(config, *trust_domain));
    auto revocations = net::Revocations::load(pki.crl(), pki.ca_certificate(), log);
    if (!revocations.ok()) return revocations.status();
    mesh->revocations_ = std::move(revocations).value();
    auto credentials = server_credentials(pki.ca_certificate(), pki.node_dir(node_name) / "node.crt",
                                          pki.node_dir(node_name) / "node.key", mesh->revocations_, *trust_domain, log);
    if (!credentials.ok()) return credentials.status();
    mesh->executor_ = &executor;
    mesh->served_ = std::make_unique<ServerTelemetry>(metrics, traces);
    mesh->admission_ = std::make_unique<Admission>(mesh->routes_, mesh->policy_, *mesh->served_, log);
    auto server = MeshServer::start(config, *credentials, *mesh->admission_, *mesh->served_);
    if (!server.ok()) return server.status();
    mesh->server_ = std::move(server).value();
    if (config.local_calls == LocalCalls::in_process) {
        mesh->local_threads_ = std::make_unique<LocalThreads>(kKeptLocalThreads, kMaxLocalThreads);
        mesh->local_deadlines_ = std::make_unique<DeadlineTimer>();
        mesh->in_process_ = std::make_unique<LocalCall::Transport>(
            LocalCall::Transport{mesh->routes_, *mesh->admission_, *mesh->served_, *mesh->local_deadlines_,
                                 *mesh->local_threads_, config.max_message_bytes, config.stream_queue_limit});
    }
    mesh->client_ = std::make_unique<MeshClient>(config, node_name, mesh->server_->address(), hosted, executor, metrics,
                                                 traces, mesh->in_process_.get(), mesh->revocations_);
    mesh->node_name_ = node_name;
    mesh->hosted_ = hosted;
    mesh->log_ = &log;
    return mesh;
}

sdk::Status Mesh::join(const std::string& client_address) {
    std::lock_guard lock(hosted_mutex_);
    discovery::v1::Node self;
    self.set_node_id(node_name_);
    self.add_addresses(server_->address());
    for (const std::string& service : hosted_) self.add_services(service);
    self.set_client_address(client_address);
    if (config_.etcd && !etcd_membership_) {
        auto joined = EtcdMembership::join(*config_.etcd, std::move(self), *client_, *log_);
        if (!joined.ok()) return joined.status();
        etcd_membership_ = std::move(joined).value();
    } else if (!config_.registry.empty() && !membership_) {
        membership_ = std::make_unique<Membership>(*client_, *executor_, *log_, std::move(self), config_.registry,
                                                   config_.heartbeat);
    }
    return {};
}

sdk::Result<std::vector<discovery::v1::Node>> Mesh::cluster_nodes() const {
    if (!config_.etcd) return sdk::failed_precondition("this node's membership is not in etcd ([discovery] etcd)");
    std::lock_guard lock(hosted_mutex_);
    if (!etcd_membership_) return sdk::unavailable("this node has not joined the cluster in etcd yet");
    return etcd_membership_->nodes();
}

void Mesh::host(const std::string& service) {
    client_->add_local_service(service);
    std::lock_guard lock(hosted_mutex_);
    if (std::find(hosted_.begin(), hosted_.end(), service) == hosted_.end()) hosted_.push_back(service);
    if (membership_) membership_->set_services(hosted_);
    if (etcd_membership_) etcd_membership_->set_services(hosted_);
}

void Mesh::unhost(const std::string& service) {
    client_->remove_local_service(service);
    std::lock_guard lock(hosted_mutex_);
    hosted_.erase(std::remove(hosted_.begin(), hosted_.end(), service), hosted_.end());
    if (membership_) membership_->set_services(hosted_);
    if (etcd_membership_) etcd_membership_->set_services(hosted_);
}

void Mesh::publish_health(const RpcOwner* owner, bool serving) {
    for (const std::string& service : routes_.services_of(owner)) server_->set_health(service, serving);
}

void Mesh::leave() {
    std::lock_guard lock(hosted_mutex_);
    membership_.reset();
    etcd_membership_.reset();
}

void Mesh::shutdown() {
    leave();
    if (server_) server_->shutdown(std::chrono::milliseconds(500));
}

}  // namespace lanchat::host::mesh

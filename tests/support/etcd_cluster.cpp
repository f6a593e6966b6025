#include "etcd_cluster.hpp"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <stdexcept>

namespace lanchat::testing {
namespace {

constexpr const char* kEtcd = "/usr/bin/etcd";
constexpr const char* kEtcdctl = "/usr/bin/etcdctl";

// A port nothing listens on now (the kernel's pick for a socket bound to port 0).
int free_port() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof(address);
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&address), size) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
        if (fd >= 0) close(fd);
        throw std::runtime_error("cannot find a free loopback port");
    }
    close(fd);
    return ntohs(address.sin_port);
}

std::string loopback_url(int port) { return "http://127.0.0.1:" + std::to_string(port); }

}  // namespace

EtcdCluster::EtcdCluster(size_t members) {
    if (access(kEtcd, X_OK) != 0)
        throw std::runtime_error("etcd is not installed: scripts/install-deps.sh installs it");
    for (size_t i = 0; i < members; ++i) {
        members_.push_back({"m" + std::to_string(i + 1), loopback_url(free_port()), loopback_url(free_port()), {}});
    }
    for (size_t i = 0; i < members; ++i) start(i, "new");
    for (Member& member : members_) {
        if (!member.process->wait_for_line("ready to serve client requests", std::chrono::seconds(60))) {
            throw std::runtime_error("etcd member " + member.name + " did not become ready:\n" +
                                     member.process->output());
        }
    }
}

EtcdCluster::~EtcdCluster() {
    for (Member& member : members_) member.process.reset();  // kills what still runs
}

void EtcdCluster::start(size_t index, const std::string& state) {
    Member& member = members_[index];
    member.process = std::make_unique<ChildProcess>(std::vector<std::string>{
        kEtcd, "--name", member.name, "--data-dir", (dir_.path() / member.name).string(), "--listen-client-urls",
        member.client_url, "--advertise-client-urls", member.client_url, "--listen-peer-urls", member.peer_url,
        "--initial-advertise-peer-urls", member.peer_url, "--initial-cluster", initial_cluster(),
        "--initial-cluster-token", "lanchat-test", "--initial-cluster-state", state});
}

std::string EtcdCluster::initial_cluster() const {
    std::string cluster;
    for (const Member& member : members_) cluster += (cluster.empty() ? "" : ",") + member.name + "=" + member.peer_url;
    return cluster;
}

std::string EtcdCluster::toml_urls() const {
    std::string list;
    for (const Member& member : members_) list += (list.empty() ? "\"" : ", \"") + member.client_url + "\"";
    return "[" + list + "]";
}

bool EtcdCluster::has_leader() const {
    try {
        leader();
        return true;
    } catch (const std::runtime_error&) {
        return false;
    }
}

size_t EtcdCluster::leader() const {
    for (size_t i = 0; i < members_.size(); ++i) {
        auto status = run_to_exit({kEtcdctl, "--endpoints=" + members_[i].client_url, "--command-timeout=1s",
                                   "endpoint", "status", "-w", "json"},
                                  std::chrono::seconds(5));
        if (status.exit_code != 0) continue;
        auto answer = nlohmann::json::parse(status.output, nullptr, false);
        if (answer.is_discarded() || !answer.is_array() || answer.empty()) continue;
        const auto& reported = answer[0]["Status"];
        uint64_t leader_id = reported.value("leader", uint64_t{0});
        if (leader_id == 0) continue;
        if (reported["header"].value("member_id", uint64_t{0}) == leader_id) return i;
        // Asked a follower: find the member whose id is the leader's.
        for (size_t j = 0; j < members_.size(); ++j) {
            auto other = run_to_exit({kEtcdctl, "--endpoints=" + members_[j].client_url, "--command-timeout=1s",
                                      "endpoint", "status", "-w", "json"},
                                     std::chrono::seconds(5));
            auto parsed = nlohmann::json::parse(other.output, nullptr, false);
            if (other.exit_code == 0 && parsed.is_array() && !parsed.empty() &&
                parsed[0]["Status"]["header"].value("member_id", uint64_t{0}) == leader_id) {
                return j;
            }
        }
    }
    throw std::runtime_error("no etcd member knows a leader");
}

void EtcdCluster::kill(size_t member) {
    members_[member].process->send_signal(SIGKILL);
    members_[member].process->wait_exit();
}

void EtcdCluster::stop(size_t member) {
    members_[member].process->send_signal(SIGTERM);
    members_[member].process->wait_exit();
}

void EtcdCluster::restart(size_t member) {
    start(member, "existing");
    if (!members_[member].process->wait_for_line("ready to serve client requests", std::chrono::seconds(60))) {
        throw std::runtime_error("etcd member " + members_[member].name + " did not come back:\n" +
                                 members_[member].process->output());
    }
}

}  // namespace lanchat::testing

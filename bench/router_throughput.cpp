// Router throughput through the real mesh: Send -> Channel (durable, sequenced) -> acknowledge -> fan-out to
// a subscriber, with 1, 10 and 100 concurrent senders; printed beside the same figures for the storage
// alone — the same ChannelStore append (group commit: concurrent appends share one SQLite commit, WAL,
// synchronous=FULL) called in process. The Router's calls to Channel on the same node go in process or
// through the node's own server ([mesh] local_calls): --local-calls=both (the default) runs one node of each
// side by side, measured in turns, and prints each node's CPU seconds per 1,000 sends.
//
// usage: router_throughput LANCHATD LANCHATCTL PLUGIN_DIR [SECONDS] [--local-calls=in_process|network|both]
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <algorithm>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <future>
#include <iostream>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "audit_outbox.hpp"
#include "bench_support.hpp"
#include "channel_store.hpp"
#include "group_commit.hpp"
#include "lanchat/router/v1/router.pb.h"
#include "sqlite_database.hpp"

namespace fs = std::filesystem;
using namespace lanchat;
using namespace lanchat::bench;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::chrono::seconds kCallDeadline{10};

std::shared_ptr<grpc::Channel> as_gateway(const std::string& address, const fs::path& pki, const std::string& service) {
    grpc::SslCredentialsOptions tls;
    tls.pem_root_certs = read_file(pki / "ca.crt");
    tls.pem_cert_chain = read_file(pki / "nodes/client/gateway.crt");
    tls.pem_private_key = read_file(pki / "nodes/client/gateway.key");
    grpc::ChannelArguments arguments;
    arguments.SetSslTargetNameOverride(service + ".lan-chat.svc");
    return grpc::CreateCustomChannel(address, grpc::SslCredentials(tls), arguments);
}

// Counts the deliveries of one edge stream (SubscribeEdge: every message the Router appends).
class Subscriber : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
public:
    explicit Subscriber(const std::shared_ptr<grpc::Channel>& channel) : stub_(channel) {
        router::v1::SubscribeEdgeRequest request;
        request.set_edge_id("bench");
        std::string bytes = request.SerializeAsString();
        grpc::Slice slice(bytes.data(), bytes.size());
        request_ = grpc::ByteBuffer(&slice, 1);
        stub_.PrepareBidiStreamingCall(&context_, "/lanchat.router.v1.Router/SubscribeEdge", grpc::StubOptions(), this);
        StartWriteLast(&request_, grpc::WriteOptions());
        StartRead(&incoming_);
        StartCall();
    }
    ~Subscriber() override {
        context_.TryCancel();
        std::unique_lock lock(mutex_);
        done_.wait(lock, [&] { return finished_; });
    }
    void OnReadDone(bool ok) override {
        if (!ok) return;
        ++delivered;
        StartRead(&incoming_);
    }
    void OnDone(const grpc::Status&) override {
        std::lock_guard lock(mutex_);
        finished_ = true;
        done_.notify_all();
    }
    std::atomic<uint64_t> delivered{0};

private:
    grpc::GenericStub stub_;
    grpc::ClientContext context_;
    grpc::ByteBuffer request_, incoming_;
    std::mutex mutex_;
    std::condition_variable done_;
    bool finished_ = false;
};

// `delivered`: messages per second the subscriber received, when it applies.
void print(const std::string& what, int senders, const Figures& figures, std::optional<uint64_t> delivered) {
    std::printf("%-30s senders %3d  %8.0f msg/s  p50 %7.2f ms  p99 %7.2f ms  errors %llu", what.c_str(), senders,
                figures.qps, figures.p50_us / 1000, figures.p99_us / 1000,
                static_cast<unsigned long long>(figures.errors));
    if (delivered) std::printf("  delivered %8.0f msg/s", static_cast<double>(*delivered));
    std::printf("\n");
}

// User and system CPU seconds `pid` has used so far, all its threads.
double cpu_seconds(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    std::istringstream fields(text.substr(text.rfind(')') + 2));  // after "pid (comm) "
    std::string field;
    double ticks = 0;
    for (int index = 3; fields >> field && index <= 15; ++index) {
        if (index >= 14) ticks += std::stod(field);  // utime, stime
    }
    return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// Takes --local-calls=... out of the arguments: the [mesh] local_calls of each node to measure.
std::vector<std::string> local_calls_choice(int& argc, char** argv) {
    std::vector<std::string> chosen = {"in_process", "network"};
    const std::string flag = "--local-calls=";
    for (int i = 1; i < argc; ++i) {
        std::string argument = argv[i];
        if (argument.rfind(flag, 0) != 0) continue;
        std::string value = argument.substr(flag.size());
        if (value == "in_process" || value == "network")
            chosen = {value};
        else if (value != "both")
            throw std::runtime_error("--local-calls must be in_process, network or both");
        std::copy(argv + i + 1, argv + argc, argv + i);
        --argc;
        --i;
    }
    return chosen;
}

// One node (Audit, Channel, Router) whose own calls take `local_calls`, a public channel that 100 senders
// and one reader belong to, and the channels to reach it as the gateway.
struct NodeUnderTest {
    std::string local_calls;
    Child process;
    std::string channel_id;
    std::shared_ptr<grpc::Channel> router;
};

void start_node(NodeUnderTest& node, const NodeArguments& arguments, const fs::path& dir) {
    const fs::path plugins = arguments.plugin;
    const std::string file = (dir / ("node-" + node.local_calls + ".toml")).string();
    std::ofstream node_file(file);
    node_file << "[node]\nname = \"node\"\ndata_dir = \"data-" << node.local_calls
              << "\"\n[mesh]\nlisten = \"127.0.0.1:0\"\npki_dir = \"pki\"\nlocal_calls = \"" << node.local_calls
              << "\"\n";
    for (const char* name : {"audit", "channel", "router"}) {
        node_file << "[[plugin]]\nname = \"" << name << "\"\npath = \""
                  << (plugins / (std::string(name) + ".so")).string() << "\"\n";
    }
    node_file.close();
    start(node.process, {arguments.lanchatd, file}, "\"node ready\"",
          [](const std::string& line) { return json_field(line, "grpc"); });
    grpc::GenericStub channels(as_gateway(node.process.address, dir / "pki", "channel"));
    node.router = as_gateway(node.process.address, dir / "pki", "router");

    channel::v1::CreateChannelRequest create;
    create.mutable_actor()->set_user_id("reader");
    create.set_name("bench");
    create.set_kind(channel::v1::PUBLIC);
    std::string created;
    if (!unary(channels, "/lanchat.channel.v1.Channel/CreateChannel", create.SerializeAsString(), &created,
               kCallDeadline)
             .ok()) {
        throw std::runtime_error("cannot create the channel");
    }
    channel::v1::ChannelInfo info;
    info.ParseFromString(created);
    node.channel_id = info.id();
    for (int sender = 0; sender < 100; ++sender) {
        channel::v1::JoinRequest join;
        join.mutable_actor()->set_user_id("sender-" + std::to_string(sender));
        join.set_channel_id(info.id());
        (void)unary(channels, "/lanchat.channel.v1.Channel/Join", join.SerializeAsString(), nullptr, kCallDeadline);
    }
}

// Sends through `node` for `seconds` with `senders` in closed loops, one subscriber reading; prints the
// rates, the node's CPU seconds per 1,000 sends, and the ratio to the storage alone.
void measure_sends(NodeUnderTest& node, int senders, int seconds, const Figures& stored) {
    Subscriber reader(node.router);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // registered before the first send
    grpc::GenericStub router(node.router);
    const uint64_t before = reader.delivered;
    const double cpu_before = cpu_seconds(node.process.pid);
    const auto begin = Clock::now();
    Figures routed = closed_loop(senders, seconds, [&](int sender, uint64_t n) {
        router::v1::SendRequest send;
        send.set_user_id("sender-" + std::to_string(sender));
        send.set_channel_id(node.channel_id);
        send.set_body("benchmark message body of a typical chat line length");
        send.set_client_message_id(node.local_calls + "-" + std::to_string(senders) + "-" + std::to_string(n));
        return unary(router, "/lanchat.router.v1.Router/Send", send.SerializeAsString(), nullptr, kCallDeadline).ok();
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the last deliveries arrive
    const double cpu = cpu_seconds(node.process.pid) - cpu_before;
    const auto delivered = static_cast<uint64_t>(static_cast<double>(reader.delivered - before) /
                                                 std::chrono::duration<double>(Clock::now() - begin).count());
    print("mesh Send+fan-out " + node.local_calls, senders, routed, delivered);
    const double sends = std::max<double>(1, static_cast<double>(routed.calls));
    std::printf("%-30s senders %3d  %.2f x the storage's msg/s  node %.3f CPU-s per 1,000 sends\n", "  ratio", senders,
                routed.qps / stored.qps, cpu * 1000 / sends);
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> local_calls;
    try {
        local_calls = local_calls_choice(argc, argv);
    } catch (const std::exception& error) {
        std::cerr << "router_throughput: " << error.what() << "\n";
        return 2;
    }
    auto arguments = node_arguments(
        argc, argv,
        "usage: router_throughput LANCHATD LANCHATCTL PLUGIN_DIR [SECONDS] [--local-calls=in_process|network|both]\n");
    if (!arguments) return 2;
    const std::string& lanchatctl = arguments->lanchatctl;
    const int seconds = arguments->number(0, 5);

    const fs::path dir = scratch_directory();
    run({lanchatctl, "pki", "init", "--dir", (dir / "pki").string(), "--trust-domain", "lan-chat.bench"});
    run({lanchatctl, "pki", "issue", "--dir", (dir / "pki").string(), "--node", "node", "--service",
         "audit,channel,router"});
    run({lanchatctl, "pki", "issue", "--dir", (dir / "pki").string(), "--node", "client", "--service", "gateway"});
    std::vector<std::unique_ptr<NodeUnderTest>> nodes;
    for (const std::string& path : local_calls) {
        nodes.push_back(std::make_unique<NodeUnderTest>());
        nodes.back()->local_calls = path;
        try {
            start_node(*nodes.back(), *arguments, dir);
        } catch (const std::exception& error) {
            std::cerr << "router_throughput: the " << path << " node: " << error.what() << "\n";
            return 1;
        }
    }

    std::printf("router_throughput: %d s per measurement, client and node on this machine's %u cores\n", seconds,
                std::thread::hardware_concurrency());
    // The storage alone: the same ChannelStore append the Channel plugin commits for each message.
    auto database = value_or_throw(plugin_support::SqliteDatabase::open(
        dir / "baseline.sqlite", "baseline",
        std::string(channel::kChannelSchema) + plugin_support::AuditOutbox::kSchema));
    plugin_support::GroupCommit commits(*database);
    auto store = value_or_throw(channel::open_sqlite_store(*database, commits));
    channel::v1::ChannelInfo baseline_channel;
    baseline_channel.set_id("c_baseline");
    baseline_channel.set_name("baseline");
    baseline_channel.set_kind(channel::v1::PUBLIC);
    std::vector<channel::v1::Member> members;
    for (int sender = 0; sender < 100; ++sender) {
        channel::v1::Member member;
        member.set_channel_id("c_baseline");
        member.set_user_id("sender-" + std::to_string(sender));
        members.push_back(member);
    }
    (void)store->create_channel(baseline_channel, members, {});

    for (int senders : {1, 10, 100}) {
        Figures stored = closed_loop(senders, seconds, [&](int sender, uint64_t n) {
            channel::v1::Message message;
            message.set_channel_id("c_baseline");
            message.set_author_id("sender-" + std::to_string(sender));
            message.set_body("benchmark message body of a typical chat line length");
            message.set_client_message_id(std::to_string(senders) + "-" + std::to_string(n));
            message.set_event(channel::v1::Message::POSTED);
            std::promise<bool> stored;
            store->append(message, {},
                          [&stored](sdk::Result<channel::Appended> appended) { stored.set_value(appended.ok()); });
            return stored.get_future().get();
        });
        print("storage alone", senders, stored, std::nullopt);

        for (auto& node : nodes) measure_sends(*node, senders, seconds, stored);
    }
    return 0;
}

// The cost of the host: the same small unary service (Echo.Say) served
//   (1) by a plugin in lanchatd, behind generic dispatch, authorization and the SDK, and
//   (2) by a plain compiled-in gRPC C++ server (generated service, callback API),
// both in their own process, both with the same mutual TLS from the same PKI, measured by the same client
// in the same run. Prints QPS and p50/p99 latency for each, the ratios, and mTLS handshakes per second.
//
// usage: mesh_overhead LANCHATD LANCHATCTL ECHO_PLUGIN [SECONDS] [CONCURRENCY]
//        mesh_overhead --serve-plain PKI_DIR     (the baseline server; started by the benchmark itself)
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <iostream>
#include <sstream>
#include <thread>
#include <vector>

#include <grpcpp/generic/async_generic_service.h>

#include "bench_support.hpp"
#include "lanchat/bench/v1/echo.grpc.pb.h"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
extern char** environ;

using namespace lanchat::bench;

namespace {

// ---- the baseline server ----

class PlainEcho final : public lanchat::test::v1::Echo::CallbackService {
    grpc::ServerUnaryReactor* Say(grpc::CallbackServerContext* context, const lanchat::test::v1::SayRequest* request,
                                  lanchat::test::v1::SayReply* reply) override {
        reply->set_text(request->text());
        auto peer = context->auth_context()->FindPropertyValues(GRPC_PEER_SPIFFE_ID_PROPERTY_NAME);
        if (!peer.empty()) reply->set_peer(std::string(peer[0].data(), peer[0].size()));
        reply->set_node("plain");
        auto* reactor = context->DefaultReactor();
        reactor->Finish(grpc::Status::OK);
        return reactor;
    }
};

// The same service through gRPC's generic callback API with no lanchat code at all: isolates what generic
// dispatch itself costs from what the host adds.
class GenericEcho final : public grpc::CallbackGenericService {
    class Reactor final : public grpc::ServerGenericBidiReactor {
    public:
        explicit Reactor(grpc::GenericCallbackServerContext* context) : context_(context) { StartRead(&request_); }
        void OnReadDone(bool ok) override {
            if (!ok) return Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no request"));
            std::vector<grpc::Slice> slices;
            std::string bytes;
            request_.Dump(&slices);
            for (auto& slice : slices) bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
            lanchat::test::v1::SayRequest request;
            request.ParseFromString(bytes);
            lanchat::test::v1::SayReply reply;
            reply.set_text(request.text());
            auto peer = context_->auth_context()->FindPropertyValues(GRPC_PEER_SPIFFE_ID_PROPERTY_NAME);
            if (!peer.empty()) reply.set_peer(std::string(peer[0].data(), peer[0].size()));
            reply.set_node("generic");
            std::string out = reply.SerializeAsString();
            grpc::Slice slice(out.data(), out.size());
            response_ = grpc::ByteBuffer(&slice, 1);
            StartWriteAndFinish(&response_, grpc::WriteOptions(), grpc::Status::OK);
        }
        void OnDone() override { delete this; }

    private:
        grpc::GenericCallbackServerContext* context_;
        grpc::ByteBuffer request_;
        grpc::ByteBuffer response_;
    };

    grpc::ServerGenericBidiReactor* CreateReactor(grpc::GenericCallbackServerContext* context) override {
        return new Reactor(context);
    }
};

int serve_plain(const fs::path& pki, bool generic) {
    grpc::SslServerCredentialsOptions tls(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    tls.pem_root_certs = read_file(pki / "ca.crt");
    tls.pem_key_cert_pairs.push_back(
        {read_file(pki / "nodes/plain/node.key"), read_file(pki / "nodes/plain/node.crt")});
    PlainEcho service;
    GenericEcho generic_service;
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::SslServerCredentials(tls), &port);
    if (generic) {
        builder.RegisterCallbackGenericService(&generic_service);
    } else {
        builder.RegisterService(&service);
    }
    auto server = builder.BuildAndStart();
    std::cout << "listening 127.0.0.1:" << port << std::endl;
    server->Wait();
    return 0;
}

// ---- the client ----

// New channels, each making one call (TLS handshake included), one after another, for `seconds`.
double handshakes_per_second(const std::string& address, const fs::path& pki, int seconds) {
    lanchat::test::v1::SayRequest request;
    request.set_text("hello");
    const std::string bytes = request.SerializeAsString();
    int completed = 0;
    auto began = Clock::now();
    while (Clock::now() - began < std::chrono::seconds(seconds)) {
        grpc::GenericStub stub(channel(address, pki, completed + 1));
        grpc::ClientContext context;
        grpc::Slice slice(bytes.data(), bytes.size());
        grpc::ByteBuffer out(&slice, 1), in;
        std::promise<grpc::Status> done;
        stub.UnaryCall(&context, "/lanchat.test.v1.Echo/Say", grpc::StubOptions(), &out, &in,
                       [&](grpc::Status s) { done.set_value(s); });
        if (done.get_future().get().ok()) ++completed;
    }
    return completed / std::chrono::duration<double>(Clock::now() - began).count();
}

}  // namespace

int main(int argc, char** argv) {
    if (argc == 3 && std::string(argv[1]) == "--serve-plain") return serve_plain(argv[2], false);
    if (argc == 3 && std::string(argv[1]) == "--serve-generic") return serve_plain(argv[2], true);
    auto arguments =
        node_arguments(argc, argv, "usage: mesh_overhead LANCHATD LANCHATCTL ECHO_PLUGIN [SECONDS] [CONCURRENCY]\n");
    if (!arguments) return 2;
    const int seconds = arguments->number(0, 5);
    const int concurrency = arguments->number(1, 16);

    const fs::path dir = scratch_directory();
    const fs::path pki = dir / "pki";
    make_pki(arguments->lanchatctl, pki, {"node", "plain"});
    std::ofstream(dir / "node.toml") << "[node]\nname = \"node\"\ndata_dir = \"data\"\nlog_level = \"warn\"\n"
                                     << "[mesh]\nlisten = \"127.0.0.1:0\"\npki_dir = \"pki\"\n"
                                     << "[authorization]\n\"lanchat.test.v1.Echo\" = [\"caller\"]\n"
                                     << "[[plugin]]\nname = \"echo\"\npath = \"" << arguments->plugin << "\"\n";

    Child node, plain, generic;
    start(node, {arguments->lanchatd, "--log-level", "info", (dir / "node.toml").string()}, "\"node ready\"",
          [](const std::string& line) { return json_field(line, "grpc"); });
    auto listening = [](const std::string& line) { return line.substr(10, line.find('\n') - 10); };
    start(plain, {"/proc/self/exe", "--serve-plain", pki.string()}, "listening ", listening);
    start(generic, {"/proc/self/exe", "--serve-generic", pki.string()}, "listening ", listening);

    std::printf("mesh overhead: Echo.Say over mutual TLS, %d concurrent callers, %d s per measurement\n", concurrency,
                seconds);
    std::printf("machine: %u hardware threads; client, server and the other idle server on the same machine\n",
                std::thread::hardware_concurrency());
    // Alternating rounds, so a drift of the machine does not favour whichever went first.
    std::printf("%-5s %-34s %10s %10s %10s %8s\n", "round", "server", "QPS", "p50 us", "p99 us", "errors");
    auto print = [](int round, const char* name, const Figures& f) {
        std::printf("%-5d %-34s %10.0f %10.1f %10.1f %8lu\n", round, name, f.qps, f.p50_us, f.p99_us,
                    static_cast<unsigned long>(f.errors));
    };
    Figures baseline_sum, hosted_sum, generic_sum;
    constexpr int kRounds = 2;
    for (int round = 1; round <= kRounds; ++round) {
        Figures baseline = measure(channel(plain.address, pki), seconds, concurrency);
        print(round, "plain gRPC C++ (baseline)", baseline);
        Figures bare_generic = measure(channel(generic.address, pki), seconds, concurrency);
        print(round, "plain gRPC generic callback (no host)", bare_generic);
        Figures hosted = measure(channel(node.address, pki), seconds, concurrency);
        print(round, "lanchatd plugin (generic dispatch)", hosted);
        baseline_sum.qps += baseline.qps, baseline_sum.p99_us += baseline.p99_us;
        generic_sum.qps += bare_generic.qps, generic_sum.p99_us += bare_generic.p99_us;
        hosted_sum.qps += hosted.qps, hosted_sum.p99_us += hosted.p99_us;
    }
    std::printf("ratio plugin/plain over %d rounds: QPS %.2f (target >= 0.90), p99 %.2f (target <= 1.10)\n", kRounds,
                hosted_sum.qps / baseline_sum.qps, hosted_sum.p99_us / baseline_sum.p99_us);
    std::printf("of which gRPC's generic API alone (generic/plain): QPS %.2f, p99 %.2f\n",
                generic_sum.qps / baseline_sum.qps, generic_sum.p99_us / baseline_sum.p99_us);
    double plain_handshakes = handshakes_per_second(plain.address, pki, seconds);
    double node_handshakes = handshakes_per_second(node.address, pki, seconds);
    std::printf("mTLS handshakes + first call per second, sequential: plain %.0f, lanchatd %.0f\n", plain_handshakes,
                node_handshakes);
    fs::remove_all(dir);
    return 0;
}

#include "bench_support.hpp"

#include <grpcpp/generic/generic_stub.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "lanchat/bench/v1/echo.grpc.pb.h"

extern char** environ;

namespace lanchat::bench {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string read_file(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

void run(const std::vector<std::string>& argv) {
    std::string command;
    for (const auto& arg : argv) command += "'" + arg + "' ";
    if (std::system((command + ">/dev/null").c_str()) != 0) throw std::runtime_error("failed: " + command);
}

void make_pki(const std::string& lanchatctl, const fs::path& dir, const std::vector<std::string>& nodes) {
    run({lanchatctl, "pki", "init", "--dir", dir.string(), "--trust-domain", "lan-chat.bench"});
    for (const std::string& node : nodes) {
        run({lanchatctl, "pki", "issue", "--dir", dir.string(), "--node", node, "--service", "echo"});
    }
    run({lanchatctl, "pki", "issue", "--dir", dir.string(), "--node", "client", "--service", "caller"});
}

std::string json_field(const std::string& line, const std::string& key) {
    nlohmann::json parsed = nlohmann::json::parse(line, nullptr, false);
    if (!parsed.is_object()) return {};
    for (const nlohmann::json& object : {parsed, parsed.value("fields", nlohmann::json::object())}) {
        if (auto found = object.find(key); found != object.end() && found->is_string())
            return found->get<std::string>();
    }
    return {};
}

Child::~Child() {
    if (pid > 0) {
        kill(pid, SIGTERM);
        waitpid(pid, nullptr, 0);
    }
}

void start(Child& child, const std::vector<std::string>& argv, const std::string& marker,
           const std::function<std::string(const std::string&)>& address_of) {
    int fds[2];
    if (pipe(fds) != 0) throw std::runtime_error("pipe");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
    std::vector<char*> args;
    std::vector<std::string> copy = argv;
    for (auto& arg : copy) args.push_back(arg.data());
    args.push_back(nullptr);
    if (posix_spawn(&child.pid, args[0], &actions, nullptr, args.data(), environ) != 0)
        throw std::runtime_error("spawn");
    close(fds[1]);
    FILE* out = fdopen(fds[0], "r");
    char line[4096];
    while (fgets(line, sizeof line, out) != nullptr) {
        std::string text(line);
        if (text.find(marker) != std::string::npos) {
            child.address = address_of(text);
            break;
        }
    }
    // Keep draining the child's output so it never blocks on a full pipe.
    std::thread([out] {
        char sink[4096];
        while (fgets(sink, sizeof sink, out) != nullptr) {
        }
        fclose(out);
    }).detach();
    if (child.address.empty()) throw std::runtime_error("server did not start: " + argv[0]);
}

static std::shared_ptr<grpc::ChannelCredentials> client_credentials(const fs::path& pki) {
    grpc::SslCredentialsOptions tls;
    tls.pem_root_certs = read_file(pki / "ca.crt");
    tls.pem_cert_chain = read_file(pki / "nodes/client/caller.crt");
    tls.pem_private_key = read_file(pki / "nodes/client/caller.key");
    return grpc::SslCredentials(tls);
}

std::shared_ptr<grpc::Channel> channel(const std::string& address, const fs::path& pki, int unique) {
    grpc::ChannelArguments arguments;
    arguments.SetSslTargetNameOverride("echo.lan-chat.svc");
    arguments.SetInt("lanchat.bench.unique", unique);  // distinct arguments: a channel of its own, a new handshake
    arguments.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    return grpc::CreateCustomChannel(address, client_credentials(pki), arguments);
}

// `concurrency` callers, each with one call in flight at a time, for `seconds`, on one channel.
Figures measure(const std::shared_ptr<grpc::Channel>& to, int seconds, int concurrency) {
    grpc::GenericStub stub(to);
    lanchat::test::v1::SayRequest request;
    request.set_text("benchmark payload");
    const std::string bytes = request.SerializeAsString();
    std::atomic<bool> stop{false};
    std::atomic<uint64_t> errors{0};
    std::mutex mutex;
    std::vector<double> latencies;
    auto caller = [&] {
        std::vector<double> mine;
        while (!stop) {
            grpc::ClientContext context;
            context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
            grpc::Slice slice(bytes.data(), bytes.size());
            grpc::ByteBuffer out(&slice, 1), in;
            std::mutex done_mutex;
            std::condition_variable done_cv;
            bool done = false;
            grpc::Status status;
            auto began = Clock::now();
            stub.UnaryCall(&context, "/lanchat.test.v1.Echo/Say", grpc::StubOptions(), &out, &in, [&](grpc::Status s) {
                std::lock_guard lock(done_mutex);
                status = s;
                done = true;
                done_cv.notify_one();
            });
            std::unique_lock lock(done_mutex);
            done_cv.wait(lock, [&] { return done; });
            if (!status.ok()) ++errors;
            mine.push_back(std::chrono::duration<double, std::micro>(Clock::now() - began).count());
        }
        std::lock_guard lock(mutex);
        latencies.insert(latencies.end(), mine.begin(), mine.end());
    };
    // Warm up the connection first.
    for (int i = 0; i < 50; ++i) {
        grpc::ClientContext context;
        grpc::Slice slice(bytes.data(), bytes.size());
        grpc::ByteBuffer out(&slice, 1), in;
        std::promise<void> done;
        stub.UnaryCall(&context, "/lanchat.test.v1.Echo/Say", grpc::StubOptions(), &out, &in,
                       [&](grpc::Status) { done.set_value(); });
        done.get_future().wait();
    }
    std::vector<std::thread> callers;
    auto began = Clock::now();
    for (int i = 0; i < concurrency; ++i) callers.emplace_back(caller);
    std::this_thread::sleep_for(std::chrono::seconds(seconds));
    stop = true;
    for (auto& thread : callers) thread.join();
    double elapsed = std::chrono::duration<double>(Clock::now() - began).count();
    std::sort(latencies.begin(), latencies.end());
    Figures figures;
    figures.qps = static_cast<double>(latencies.size()) / elapsed;
    figures.p50_us = latencies.empty() ? 0 : latencies[latencies.size() / 2];
    figures.p99_us = latencies.empty() ? 0 : latencies[latencies.size() * 99 / 100];
    figures.errors = errors;
    figures.calls = latencies.size();
    return figures;
}

}  // namespace lanchat::bench

#include "bench_support.hpp"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "lanchat/bench/v1/echo.grpc.pb.h"
#include "lanchat/grpc_buffers/byte_buffer.hpp"

extern char** environ;

namespace lanchat::bench {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr std::chrono::seconds kCallDeadline{5};  // an Echo.Say that takes longer counts as failed

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

fs::path scratch_directory(const std::string& prefix) {
    std::string pattern = "/tmp/" + prefix + "-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("cannot create " + pattern);
    return pattern;
}

int NodeArguments::number(size_t index, int fallback) const {
    return index < numbers.size() ? std::stoi(numbers[index]) : fallback;
}

std::optional<NodeArguments> node_arguments(int argc, char** argv, const char* usage) {
    if (argc < 4) {
        std::cerr << usage;
        return std::nullopt;
    }
    return NodeArguments{fs::absolute(argv[1]), fs::absolute(argv[2]), fs::absolute(argv[3]),
                         std::vector<std::string>(argv + 4, argv + argc)};
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
           const std::function<std::string(const std::string&)>& address_of,
           std::function<void(const std::string&)> on_line) {
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
    std::thread([out, on_line = std::move(on_line)] {
        char sink[4096];
        while (fgets(sink, sizeof sink, out) != nullptr) {
            if (on_line) on_line(sink);
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

Figures closed_loop(int callers, int seconds, const std::function<bool(int caller, uint64_t n)>& operation) {
    std::atomic<bool> stop{false};
    std::atomic<uint64_t> errors{0};
    std::mutex mutex;
    std::vector<double> latencies;
    std::vector<std::thread> threads;
    const auto began = Clock::now();
    for (int caller = 0; caller < callers; ++caller) {
        threads.emplace_back([&, caller] {
            std::vector<double> mine;
            for (uint64_t n = 0; !stop; ++n) {
                const auto start = Clock::now();
                if (!operation(caller, n)) ++errors;
                mine.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
            }
            std::lock_guard lock(mutex);
            latencies.insert(latencies.end(), mine.begin(), mine.end());
        });
    }
    std::this_thread::sleep_for(std::chrono::seconds(seconds));
    stop = true;
    for (auto& thread : threads) thread.join();
    const double elapsed = std::chrono::duration<double>(Clock::now() - began).count();
    std::sort(latencies.begin(), latencies.end());
    Figures figures;
    figures.qps = static_cast<double>(latencies.size()) / elapsed;
    figures.p50_us = latencies.empty() ? 0 : latencies[latencies.size() / 2];
    figures.p99_us = latencies.empty() ? 0 : latencies[latencies.size() * 99 / 100];
    figures.errors = errors;
    figures.calls = latencies.size();
    return figures;
}

grpc::Status unary(grpc::GenericStub& stub, const std::string& method, const std::string& request, std::string* reply,
                   std::chrono::seconds deadline) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + deadline);
    grpc::ByteBuffer out = grpc_buffers::buffer_of(request), in;
    grpc::Status status;
    std::mutex mutex;
    std::condition_variable done;
    bool finished = false;
    stub.UnaryCall(&context, method, grpc::StubOptions(), &out, &in, [&](grpc::Status s) {
        std::lock_guard lock(mutex);
        status = s;
        finished = true;
        done.notify_one();
    });
    std::unique_lock lock(mutex);
    done.wait(lock, [&] { return finished; });
    if (reply != nullptr && status.ok()) *reply = grpc_buffers::bytes_of(in);
    return status;
}

Figures measure(const std::shared_ptr<grpc::Channel>& to, int seconds, int concurrency) {
    grpc::GenericStub stub(to);
    lanchat::test::v1::SayRequest request;
    request.set_text("benchmark payload");
    const std::string bytes = request.SerializeAsString();
    const std::string method = "/lanchat.test.v1.Echo/Say";
    for (int i = 0; i < 50; ++i) (void)unary(stub, method, bytes, nullptr, kCallDeadline);  // warms the connection
    return closed_loop(concurrency, seconds,
                       [&](int, uint64_t) { return unary(stub, method, bytes, nullptr, kCallDeadline).ok(); });
}

}  // namespace lanchat::bench

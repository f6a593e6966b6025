// What the benchmarks share: server processes, a PKI, mTLS channels and a closed-loop load generator.
#pragma once

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace lanchat::bench {

// A server process, stopped (SIGTERM) when this goes out of scope.
struct Child {
    pid_t pid = -1;
    std::string address;  // read from its output by start()
    ~Child();
};

// Starts `argv` and waits for the first output line containing `marker`; `address_of` extracts the address.
// `on_line`, when given, is called with every later line, from the thread that drains the output.
void start(Child& child, const std::vector<std::string>& argv, const std::string& marker,
           const std::function<std::string(const std::string&)>& address_of,
           std::function<void(const std::string&)> on_line = {});

// The string member `key` of a JSON log line, at its top level or in its "fields".
std::string json_field(const std::string& line, const std::string& key);

void run(const std::vector<std::string>& argv);  // a command that must succeed
std::string read_file(const std::filesystem::path& path);

// A new directory /tmp/<prefix>-XXXXXX for one run's PKI, node file and data.
std::filesystem::path scratch_directory(const std::string& prefix = "lanchat-bench");

// The command line the node benchmarks share: LANCHATD LANCHATCTL PLUGIN [NUMBER...], the paths made
// absolute because the node runs from a directory of its own.
struct NodeArguments {
    std::string lanchatd;
    std::string lanchatctl;
    std::string plugin;  // a plugin file, or the plugin directory
    std::vector<std::string> numbers;
    int number(size_t index, int fallback) const;  // numbers[index], or `fallback` when not given
};

// nullopt, after printing `usage` on stderr, when the three paths are not all given.
std::optional<NodeArguments> node_arguments(int argc, char** argv, const char* usage);

// A PKI in `dir` with node certificates for `nodes` (each hosting "echo") and a client "caller".
void make_pki(const std::string& lanchatctl, const std::filesystem::path& dir, const std::vector<std::string>& nodes);

// An mTLS channel as the client "caller" to a server named echo.lan-chat.svc; `unique` forces a new connection.
std::shared_ptr<grpc::Channel> channel(const std::string& address, const std::filesystem::path& pki, int unique = 0);

// What a closed loop measured.
struct Figures {
    double qps = 0;  // operations completed per second
    double p50_us = 0;
    double p99_us = 0;
    uint64_t calls = 0;
    uint64_t errors = 0;
};

// `callers` threads, each with one operation in flight at a time, for `seconds`; `operation(caller, n)`
// runs that caller's n-th operation and returns whether it succeeded.
Figures closed_loop(int callers, int seconds, const std::function<bool(int caller, uint64_t n)>& operation);

// One unary call of `method` with the serialized `request`, waited for; `reply`, when given, receives the
// answer's bytes.
grpc::Status unary(grpc::GenericStub& stub, const std::string& method, const std::string& request, std::string* reply,
                   std::chrono::seconds deadline);

// `concurrency` callers, each with one Echo.Say in flight at a time, for `seconds`, on one channel.
Figures measure(const std::shared_ptr<grpc::Channel>& to, int seconds, int concurrency);

}  // namespace lanchat::bench

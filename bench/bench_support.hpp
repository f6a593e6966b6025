// What the benchmarks share: server processes, a PKI, mTLS channels and a closed-loop load generator.
#pragma once

#include <grpcpp/grpcpp.h>
#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <memory>
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
void start(Child& child, const std::vector<std::string>& argv, const std::string& marker,
           const std::function<std::string(const std::string&)>& address_of);

// The string member `key` of a JSON log line, at its top level or in its "fields".
std::string json_field(const std::string& line, const std::string& key);

void run(const std::vector<std::string>& argv);  // a command that must succeed
std::string read_file(const std::filesystem::path& path);

// A PKI in `dir` with node certificates for `nodes` (each hosting "echo") and a client "caller".
void make_pki(const std::string& lanchatctl, const std::filesystem::path& dir, const std::vector<std::string>& nodes);

// An mTLS channel as the client "caller" to a server named echo.lan-chat.svc; `unique` forces a new connection.
std::shared_ptr<grpc::Channel> channel(const std::string& address, const std::filesystem::path& pki, int unique = 0);

struct Figures {
    double qps = 0;
    double p50_us = 0;
    double p99_us = 0;
    uint64_t calls = 0;
    uint64_t errors = 0;
};

// `concurrency` callers, each with one Echo.Say in flight at a time, for `seconds`, on one channel.
Figures measure(const std::shared_ptr<grpc::Channel>& to, int seconds, int concurrency);

}  // namespace lanchat::bench

// The tests' gRPC client: mTLS channels from a PKI's files and one-call helpers over the generic stub,
// so a test sends exactly the bytes it wants.
#pragma once

#include <grpcpp/grpcpp.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>

namespace lanchat::testing {

// A client identity: certificate and key files (both empty: no client certificate).
struct Identity {
    std::filesystem::path certificate;
    std::filesystem::path key;
};

std::shared_ptr<grpc::Channel> channel_to(const std::string& address, const std::filesystem::path& ca,
                                          const Identity& identity,
                                          const std::string& server_name = "echo.lan-chat.svc");

struct Reply {
    grpc::Status status;
    std::string bytes;
};

// One unary call with a 10 s deadline.
Reply call(const std::shared_ptr<grpc::Channel>& channel, const std::string& method, const std::string& request,
           const std::multimap<std::string, std::string>& metadata = {});

}  // namespace lanchat::testing

// The tests' gRPC client: mTLS channels from a PKI's files and one-call helpers over the generic stub,
// so a test sends exactly the bytes it wants.
#pragma once

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <vector>

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

// One server-streaming call, read in the background: its messages as they come, then its status.
class StreamReader : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
public:
    StreamReader(const std::shared_ptr<grpc::Channel>& channel, const std::string& method, const std::string& request,
                 std::chrono::seconds deadline = std::chrono::seconds(30));
    ~StreamReader() override;  // cancels the call if it still runs, and waits for its end

    // Waits until at least `count` messages arrived (true) or the stream ended or `timeout` passed (false).
    bool wait_for(size_t count, std::chrono::milliseconds timeout = std::chrono::seconds(10));
    std::vector<std::string> messages() const;
    // Waits for the end of the call.
    grpc::Status wait();
    void cancel() { context_.TryCancel(); }

    void OnReadDone(bool ok) override;
    void OnDone(const grpc::Status& status) override;

private:
    std::unique_ptr<grpc::GenericStub> stub_;
    grpc::ClientContext context_;
    grpc::ByteBuffer request_;
    grpc::ByteBuffer incoming_;
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<std::string> messages_;
    std::optional<grpc::Status> status_;
};

}  // namespace lanchat::testing

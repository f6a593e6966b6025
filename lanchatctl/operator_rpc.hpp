// OperatorRpc: calls a node's services over mTLS as an operator (spiffe://<domain>/operator/<name>), with
// the certificate `lanchatctl pki issue-client --operator NAME` wrote. Shared by the audit and user commands.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <google/protobuf/message_lite.h>

namespace grpc {
class Channel;
}

namespace lanchat::cli {
class Arguments;
}

namespace lanchat::ctl {

// The flags every operator command takes.
extern const char* const kOperatorFlagsUsage;

class OperatorRpc {
public:
    // Reads --grpc (or LANCHAT_GRPC), --pki (or LANCHAT_PKI) and --operator (or LANCHAT_OPERATOR); on failure
    // returns nothing and writes why to `error`.
    static std::optional<OperatorRpc> connect(const cli::Arguments& arguments, const std::string& service,
                                              std::string& error);

    // One unary call with a 30 s deadline. Returns "" on success, else the status code name and message.
    std::string call(const std::string& method, const google::protobuf::MessageLite& request,
                     google::protobuf::MessageLite& response) const;

private:
    explicit OperatorRpc(std::shared_ptr<grpc::Channel> channel) : channel_(std::move(channel)) {}
    std::shared_ptr<grpc::Channel> channel_;
};

}  // namespace lanchat::ctl

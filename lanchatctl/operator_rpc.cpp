#include "operator_rpc.hpp"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <cstdlib>
#include <fstream>
#include <future>
#include <sstream>

#include "lanchat/cli/arguments.hpp"
#include "lanchat/grpc_buffers/byte_buffer.hpp"

namespace lanchat::ctl {

const char* const kOperatorFlagsUsage =
    "    --grpc HOST:PORT  the node's mesh listener (or LANCHAT_GRPC)\n"
    "    --pki DIR         the PKI directory (or LANCHAT_PKI)\n"
    "    --operator NAME   uses DIR/clients/operator-NAME.{crt,key} (or LANCHAT_OPERATOR)\n";

namespace {

std::string read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

std::optional<std::string> flag_or_env(const cli::Arguments& arguments, const char* flag, const char* variable) {
    if (auto value = arguments.value(flag)) return value;
    if (const char* value = std::getenv(variable); value != nullptr && *value != '\0') return std::string(value);
    return std::nullopt;
}

const char* code_name(grpc::StatusCode code) {
    switch (code) {
        case grpc::StatusCode::INVALID_ARGUMENT: return "INVALID_ARGUMENT";
        case grpc::StatusCode::NOT_FOUND: return "NOT_FOUND";
        case grpc::StatusCode::ALREADY_EXISTS: return "ALREADY_EXISTS";
        case grpc::StatusCode::PERMISSION_DENIED: return "PERMISSION_DENIED";
        case grpc::StatusCode::UNAVAILABLE: return "UNAVAILABLE";
        case grpc::StatusCode::DEADLINE_EXCEEDED: return "DEADLINE_EXCEEDED";
        case grpc::StatusCode::UNIMPLEMENTED: return "UNIMPLEMENTED";
        case grpc::StatusCode::UNAUTHENTICATED: return "UNAUTHENTICATED";
        default: return "ERROR";
    }
}

}  // namespace

std::optional<OperatorRpc> OperatorRpc::connect(const cli::Arguments& arguments, const std::string& service,
                                                std::string& error) {
    auto address = flag_or_env(arguments, "grpc", "LANCHAT_GRPC");
    auto pki = flag_or_env(arguments, "pki", "LANCHAT_PKI");
    auto name = flag_or_env(arguments, "operator", "LANCHAT_OPERATOR");
    if (!address || !pki || !name) {
        error = "--grpc, --pki and --operator are required (or LANCHAT_GRPC, LANCHAT_PKI, LANCHAT_OPERATOR)";
        return std::nullopt;
    }
    grpc::SslCredentialsOptions tls;
    tls.pem_root_certs = read(*pki + "/ca.crt");
    tls.pem_cert_chain = read(*pki + "/clients/operator-" + *name + ".crt");
    tls.pem_private_key = read(*pki + "/clients/operator-" + *name + ".key");
    if (tls.pem_root_certs.empty()) {
        error = "no CA certificate " + *pki + "/ca.crt (lanchatctl pki init)";
        return std::nullopt;
    }
    if (tls.pem_cert_chain.empty() || tls.pem_private_key.empty()) {
        error = "no operator certificate " + *pki + "/clients/operator-" + *name +
                ".crt (lanchatctl pki issue-client --operator " + *name + ")";
        return std::nullopt;
    }
    grpc::ChannelArguments channel_arguments;
    channel_arguments.SetSslTargetNameOverride(service + ".lan-chat.svc");
    return OperatorRpc(grpc::CreateCustomChannel(*address, grpc::SslCredentials(tls), channel_arguments));
}

std::string OperatorRpc::call(const std::string& method, const google::protobuf::MessageLite& request,
                              google::protobuf::MessageLite& response) const {
    grpc::GenericStub stub(channel_);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    grpc::ByteBuffer request_bytes = grpc_buffers::buffer_of(request.SerializeAsString()), response_bytes;
    std::promise<grpc::Status> done;
    stub.UnaryCall(&context, method, grpc::StubOptions(), &request_bytes, &response_bytes,
                   [&](grpc::Status status) { done.set_value(status); });
    grpc::Status status = done.get_future().get();
    if (!status.ok()) return std::string(code_name(status.error_code())) + ": " + status.error_message();
    if (!response.ParseFromString(grpc_buffers::bytes_of(response_bytes))) return "the reply could not be parsed";
    return "";
}

}  // namespace lanchat::ctl

#include "audit_command.hpp"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <fstream>
#include <future>
#include <iostream>
#include <sstream>

#include "arguments.hpp"
#include "lanchat/audit/v1/audit.pb.h"
#include "rpc/byte_buffer.hpp"

namespace lanchat::ctl {

const char* const kAuditUsage =
    "lanchatctl audit verify --grpc HOST:PORT --pki DIR --operator NAME [--json]\n"
    "    asks the node's Audit service to recompute its hash chain; exit 0 when intact, 1 when broken\n";

namespace {

std::string read(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace

int run_audit_command(const std::vector<std::string>& args) {
    Arguments arguments(args, {"grpc", "pki", "operator"}, {"json"});
    if (arguments.error() || arguments.positional() != std::vector<std::string>{"verify"} || !arguments.value("grpc") ||
        !arguments.value("pki") || !arguments.value("operator")) {
        std::cerr << "lanchatctl audit: " << arguments.error().value_or("missing arguments") << "\n\n" << kAuditUsage;
        return 2;
    }
    const std::string pki = *arguments.value("pki");
    const std::string name = *arguments.value("operator");
    grpc::SslCredentialsOptions tls;
    tls.pem_root_certs = read(pki + "/ca.crt");
    tls.pem_cert_chain = read(pki + "/clients/operator-" + name + ".crt");
    tls.pem_private_key = read(pki + "/clients/operator-" + name + ".key");
    if (tls.pem_cert_chain.empty()) {
        std::cerr << "lanchatctl audit: no operator certificate " << pki << "/clients/operator-" << name
                  << ".crt (lanchatctl pki issue-client --operator " << name << ")\n";
        return 1;
    }
    grpc::ChannelArguments channel_arguments;
    channel_arguments.SetSslTargetNameOverride("audit.lan-chat.svc");
    grpc::GenericStub stub(grpc::CreateCustomChannel(*arguments.value("grpc"), grpc::SslCredentials(tls), channel_arguments));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    // VerifyRequest has no fields: its encoding is empty, but the buffer must exist.
    grpc::ByteBuffer request = host::rpc::buffer_of(""), response;
    std::promise<grpc::Status> done;
    stub.UnaryCall(&context, "/lanchat.audit.v1.Audit/Verify", grpc::StubOptions(), &request, &response,
                   [&](grpc::Status status) { done.set_value(status); });
    grpc::Status status = done.get_future().get();
    if (!status.ok()) {
        std::cerr << "lanchatctl audit: Verify failed (" << status.error_code() << "): " << status.error_message() << "\n";
        return 1;
    }
    audit::v1::VerifyReply verdict;
    verdict.ParseFromString(host::rpc::bytes_of(response));
    if (arguments.has("json")) {
        std::cout << "{\"intact\":" << (verdict.intact() ? "true" : "false") << ",\"entries\":" << verdict.entries()
                  << ",\"first_broken_sequence\":" << verdict.first_broken_sequence() << "}\n";
    } else if (verdict.intact()) {
        std::cout << "audit chain intact: " << verdict.entries() << " entries\n";
    } else {
        std::cout << "audit chain BROKEN: " << verdict.reason() << " (" << verdict.entries() << " entries)\n";
    }
    return verdict.intact() ? 0 : 1;
}

}  // namespace lanchat::ctl

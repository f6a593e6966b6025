#include "grpc_client.hpp"

#include <grpcpp/generic/generic_stub.h>

#include <future>

#include "test_certificates.hpp"

namespace lanchat::testing {

std::shared_ptr<grpc::Channel> channel_to(const std::string& address, const std::filesystem::path& ca,
                                          const Identity& identity, const std::string& server_name) {
    grpc::SslCredentialsOptions tls;
    tls.pem_root_certs = read_file(ca);
    if (!identity.certificate.empty()) {
        tls.pem_cert_chain = read_file(identity.certificate);
        tls.pem_private_key = read_file(identity.key);
    }
    grpc::ChannelArguments arguments;
    arguments.SetSslTargetNameOverride(server_name);
    return grpc::CreateCustomChannel(address, grpc::SslCredentials(tls), arguments);
}

Reply call(const std::shared_ptr<grpc::Channel>& channel, const std::string& method, const std::string& request,
           const std::multimap<std::string, std::string>& metadata) {
    grpc::GenericStub stub(channel);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    for (const auto& [key, value] : metadata) context.AddMetadata(key, value);
    grpc::Slice slice(request.data(), request.size());
    grpc::ByteBuffer out(&slice, 1);
    grpc::ByteBuffer in;
    std::promise<grpc::Status> done;
    stub.UnaryCall(&context, method, grpc::StubOptions(), &out, &in, [&](grpc::Status s) { done.set_value(s); });
    Reply reply{done.get_future().get(), {}};
    std::vector<grpc::Slice> slices;
    if (reply.status.ok() && in.Dump(&slices).ok()) {
        for (auto& s : slices) reply.bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
    return reply;
}

}  // namespace lanchat::testing

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

StreamReader::StreamReader(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                           const std::string& request, std::chrono::seconds deadline)
    : stub_(std::make_unique<grpc::GenericStub>(channel)) {
    grpc::Slice slice(request.data(), request.size());
    request_ = grpc::ByteBuffer(&slice, 1);
    context_.set_deadline(std::chrono::system_clock::now() + deadline);
    stub_->PrepareBidiStreamingCall(&context_, method, grpc::StubOptions(), this);
    StartWriteLast(&request_, grpc::WriteOptions());
    StartRead(&incoming_);
    StartCall();
}

StreamReader::~StreamReader() {
    context_.TryCancel();
    wait();
}

void StreamReader::OnReadDone(bool ok) {
    if (!ok) return;
    std::vector<grpc::Slice> slices;
    std::string bytes;
    if (incoming_.Dump(&slices).ok()) {
        for (auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
    {
        std::lock_guard lock(mutex_);
        messages_.push_back(std::move(bytes));
    }
    changed_.notify_all();
    StartRead(&incoming_);
}

void StreamReader::OnDone(const grpc::Status& status) {
    {
        std::lock_guard lock(mutex_);
        status_ = status;
    }
    changed_.notify_all();
}

bool StreamReader::wait_for(size_t count, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, timeout, [&] { return messages_.size() >= count || status_.has_value(); });
    return messages_.size() >= count;
}

std::vector<std::string> StreamReader::messages() const {
    std::lock_guard lock(mutex_);
    return messages_;
}

grpc::Status StreamReader::wait() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return status_.has_value(); });
    return *status_;
}

}  // namespace lanchat::testing

// Calls Greeter/Say over mutual TLS with an operator's certificate from `lanchatctl pki issue-client`.
// usage: greet ADDRESS PKI_DIR OPERATOR NAME    e.g. greet 127.0.0.1:7443 pki alice world
#include <grpcpp/grpcpp.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include "greeter.grpc.pb.h"

std::string read(const std::string& file) {
    std::ostringstream text;
    text << std::ifstream(file).rdbuf();
    return text.str();
}

int main(int argc, char** argv) {
    if (argc != 5) return std::cerr << "usage: greet ADDRESS PKI_DIR OPERATOR NAME\n", 2;
    const std::string pki = argv[2], client = pki + "/clients/operator-" + argv[3];
    grpc::SslCredentialsOptions tls{read(pki + "/ca.crt"), read(client + ".key"), read(client + ".crt")};
    grpc::ChannelArguments arguments;
    // The node's certificate names each service it hosts as <service>.lan-chat.svc, not its address.
    arguments.SetSslTargetNameOverride("greeter.lan-chat.svc");
    auto channel = grpc::CreateCustomChannel(argv[1], grpc::SslCredentials(tls), arguments);
    acme::greeter::v1::SayRequest request;
    request.set_name(argv[4]);
    acme::greeter::v1::SayReply reply;
    grpc::ClientContext context;
    grpc::Status status = acme::greeter::v1::Greeter::NewStub(channel)->Say(&context, request, &reply);
    if (!status.ok()) return std::cerr << "Say failed: " << status.error_message() << "\n", 1;
    std::cout << reply.text() << "\n";
}

#include "mesh/stub_cache.hpp"

#include <gtest/gtest.h>

#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <optional>

#include "lanchat/pki/certificate_authority.hpp"
#include "logging/log.hpp"
#include "mesh/tls.hpp"
#include "net/revocation.hpp"
#include "temp_dir.hpp"

namespace lanchat::host::mesh {
namespace {

// Answers every call UNIMPLEMENTED: a call that gets this far passed the TLS handshake.
class AnswerUnimplemented final : public grpc::CallbackGenericService {
    grpc::ServerGenericBidiReactor* CreateReactor(grpc::GenericCallbackServerContext*) override {
        struct Refusal final : grpc::ServerGenericBidiReactor {
            Refusal() { Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "nothing served here")); }
            void OnDone() override { delete this; }
        };
        return new Refusal;
    }
};

// A PKI whose node "node-1" has identities for audit and auth only.
class StubCacheTest : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(pki::init_ca(layout_, {"lan-chat.local", pki::KeyAlgorithm::ecdsa_p256, 3650}).ok());
        ASSERT_TRUE(pki::issue_node(layout_, "node-1", {"audit", "auth"}, {}).ok());
        auto revocations = net::Revocations::load(layout_.crl(), layout_.ca_certificate(), log_);
        ASSERT_TRUE(revocations.ok()) << revocations.status().message();
        revocations_ = *revocations;
        cache_.emplace(dir_.path() / "pki", "node-1", 4 * 1024 * 1024, *revocations);
    }

    // node-1's mesh server (its certificate names audit.lan-chat.svc and auth.lan-chat.svc); its address.
    std::string serve_node() {
        auto credentials =
            server_credentials(layout_.ca_certificate(), layout_.node_dir("node-1") / "node.crt",
                               layout_.node_dir("node-1") / "node.key", revocations_, "lan-chat.local", log_);
        EXPECT_TRUE(credentials.ok()) << credentials.status().message();
        grpc::ServerBuilder builder;
        int port = 0;
        builder.AddListeningPort("127.0.0.1:0", *credentials, &port);
        builder.RegisterCallbackGenericService(&answer_);
        server_ = builder.BuildAndStart();
        return "127.0.0.1:" + std::to_string(port);
    }

    // One call through the cache's channel from audit to `service` at `address`.
    grpc::Status call(const std::string& address, const std::string& service) {
        auto stub = cache_->stub_for(address, "audit", service);
        if (!stub.ok()) return grpc::Status(grpc::StatusCode::INTERNAL, stub.status().message());
        grpc::ClientContext context;
        context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
        grpc::CompletionQueue queue;
        grpc::ByteBuffer request, reply;
        auto call = (*stub)->PrepareUnaryCall(&context, "/lanchat.test.v1.Nothing/Call", request, &queue);
        call->StartCall();
        grpc::Status status;
        call->Finish(&reply, &status, this);
        void* tag = nullptr;
        bool ok = false;
        queue.Next(&tag, &ok);
        return status;
    }

    void TearDown() override {
        if (server_) server_->Shutdown(std::chrono::system_clock::now());
    }

    lanchat::testing::TempDir dir_;
    pki::PkiLayout layout_{dir_.path() / "pki"};
    NodeLog log_{LogFormat::text, LANCHAT_LOG_ERROR};
    std::shared_ptr<net::Revocations> revocations_;
    std::optional<StubCache> cache_;
    AnswerUnimplemented answer_;
    std::unique_ptr<grpc::Server> server_;
};

TEST_F(StubCacheTest, AServerWhoseCertificateDoesNotNameTheServiceIsRefused) {
    const std::string address = serve_node();
    grpc::Status named = call(address, "auth");  // node-1 hosts auth: its certificate names it
    EXPECT_EQ(named.error_code(), grpc::StatusCode::UNIMPLEMENTED) << named.error_message();
    grpc::Status posing = call(address, "channel");
    EXPECT_EQ(posing.error_code(), grpc::StatusCode::UNAVAILABLE) << posing.error_message();
}

TEST_F(StubCacheTest, ACallerWithoutAMeshIdentityIsToldHowToIssueOne) {
    auto stub = cache_->stub_for("127.0.0.1:7443", "gateway", "audit");
    ASSERT_FALSE(stub.ok());
    EXPECT_EQ(stub.status().code(), sdk::Code::unauthenticated);
    EXPECT_EQ(stub.status().message().rfind("plugin 'gateway' has no mesh identity: ", 0), 0u);
    EXPECT_NE(stub.status().message().find("(lanchatctl pki issue --node node-1 --service gateway)"),
              std::string::npos);
}

TEST_F(StubCacheTest, OneChannelServesEachEndpointCallerAndTarget) {
    auto first = cache_->stub_for("127.0.0.1:7443", "audit", "auth");
    ASSERT_TRUE(first.ok()) << first.status().message();
    auto again = cache_->stub_for("127.0.0.1:7443", "audit", "auth");
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*first, *again);
    for (auto [address, caller, target] :
         {std::tuple{"127.0.0.1:7444", "audit", "auth"}, std::tuple{"127.0.0.1:7443", "auth", "auth"},
          std::tuple{"127.0.0.1:7443", "audit", "audit"}}) {
        auto other = cache_->stub_for(address, caller, target);
        ASSERT_TRUE(other.ok()) << other.status().message();
        EXPECT_NE(*other, *first) << address << " " << caller << " " << target;
    }
}

}  // namespace
}  // namespace lanchat::host::mesh

// The HTTP client against a real local server: the host's admin server, plain on loopback and with
// mutual TLS from a real PKI.
#include "lanchat/http_client/http_client.hpp"

#include <gtest/gtest.h>

#include "admin/admin_server.hpp"
#include "lanchat/pki/certificate_authority.hpp"
#include "logging/log.hpp"
#include "net/revocation.hpp"
#include "temp_dir.hpp"

namespace lanchat::http_client {
namespace {

using host::admin::AdminServer;

// Answers with what it was asked, so a test sees the request as the server saw it.
host::admin::Response echo(const host::admin::Request& request) {
    return {201, "text/plain", request.method + " " + request.target + " from '" + request.peer + "'"};
}

Server server_at(const std::string& address) {
    size_t colon = address.rfind(':');
    return {address.substr(0, colon), address.substr(colon + 1), std::nullopt};
}

class HttpClientTest : public ::testing::Test {
protected:
    // Starts the admin server with mutual TLS from a fresh PKI (a CA and node "n" with the admin role) and
    // returns where it listens, without client certificates yet.
    Server start_tls_admin() {
        EXPECT_TRUE(pki::init_ca(layout_, {"lan-chat.test", pki::KeyAlgorithm::ecdsa_p256, 30}).ok());
        EXPECT_TRUE(pki::issue_node(layout_, "n", {"admin"}, {}).ok());
        auto revocations = host::net::Revocations::load(layout_.crl(), layout_.ca_certificate(), log_);
        EXPECT_TRUE(revocations.ok()) << revocations.status().message();
        host::admin::Tls tls{layout_.ca_certificate(), layout_.node_dir("n") / "node.crt",
                             layout_.node_dir("n") / "node.key", "spiffe://lan-chat.test/operator/",
                             revocations.ok() ? *revocations : nullptr};
        auto admin = AdminServer::start("127.0.0.1:0", tls, echo, log_);
        if (!admin.ok()) {
            ADD_FAILURE() << admin.status().message();
            return {"127.0.0.1", "1", std::nullopt};
        }
        admin_ = std::move(*admin);
        return server_at(admin_->address());
    }

    host::NodeLog log_{host::LogFormat::json, LANCHAT_LOG_ERROR};
    lanchat::testing::TempDir dir_;
    pki::PkiLayout layout_{dir_.path() / "pki"};
    std::unique_ptr<AdminServer> admin_;
};

TEST_F(HttpClientTest, SendsTheMethodAndTargetAndReturnsStatusTypeAndBody) {
    auto admin = AdminServer::start("127.0.0.1:0", std::nullopt, echo, log_);
    ASSERT_TRUE(admin.ok()) << admin.status().message();
    auto outcome = send(server_at((*admin)->address()), {"POST", "/plugins/echo/reload?x=1", "", "", "test", {}});
    ASSERT_TRUE(std::holds_alternative<Response>(outcome)) << std::get<Failure>(outcome).reason;
    const Response& response = std::get<Response>(outcome);
    EXPECT_EQ(response.status, 201u);
    EXPECT_EQ(response.content_type, "text/plain");
    EXPECT_EQ(response.body, "POST /plugins/echo/reload?x=1 from ''");
}

TEST_F(HttpClientTest, ARefusedConnectionIsAConnectFailure) {
    auto outcome = send({"127.0.0.1", "1", std::nullopt}, {});
    ASSERT_TRUE(std::holds_alternative<Failure>(outcome));
    EXPECT_EQ(std::get<Failure>(outcome).stage, Stage::connect);
    EXPECT_EQ(std::get<Failure>(outcome).reason, "Connection refused");
}

TEST_F(HttpClientTest, AnUnknownHostIsAResolveFailure) {
    auto outcome = send({"no-such-host.invalid", "80", std::nullopt}, {});
    ASSERT_TRUE(std::holds_alternative<Failure>(outcome));
    EXPECT_EQ(std::get<Failure>(outcome).stage, Stage::resolve);
}

TEST_F(HttpClientTest, SpeaksMutualTlsWithAnOperatorCertificate) {
    Server server = start_tls_admin();
    ASSERT_TRUE(admin_);
    ASSERT_TRUE(pki::issue_client(layout_, pki::ClientKind::operator_user, "alice", {}).ok());

    server.tls = TlsFiles{layout_.ca_certificate(), layout_.client_dir() / "operator-alice.crt",
                          layout_.client_dir() / "operator-alice.key"};
    auto outcome = send(server, {"GET", "/health/live", "", "", "test", {}});
    ASSERT_TRUE(std::holds_alternative<Response>(outcome)) << std::get<Failure>(outcome).reason;
    EXPECT_EQ(std::get<Response>(outcome).body, "GET /health/live from 'spiffe://lan-chat.test/operator/alice'");

    // TLS 1.3 finishes the client's side of the handshake before the server checks the client's
    // certificate, so the refusal may arrive with the first read instead.
    server.tls = TlsFiles{layout_.ca_certificate(), {}, {}};
    auto anonymous = send(server, {});
    ASSERT_TRUE(std::holds_alternative<Failure>(anonymous));
    Stage stage = std::get<Failure>(anonymous).stage;
    EXPECT_TRUE(stage == Stage::tls_handshake || stage == Stage::exchange) << static_cast<int>(stage);

    server.tls = TlsFiles{dir_.path() / "missing.crt", {}, {}};
    auto unloadable = send(server, {});
    ASSERT_TRUE(std::holds_alternative<Failure>(unloadable));
    EXPECT_EQ(std::get<Failure>(unloadable).stage, Stage::tls_setup);
}

TEST_F(HttpClientTest, PlainHttpToATlsPortGetsNoResponse) {
    Server server = start_tls_admin();
    ASSERT_TRUE(admin_);
    auto outcome = send(server, {}, std::chrono::seconds(5));
    ASSERT_TRUE(std::holds_alternative<Failure>(outcome));
    EXPECT_EQ(std::get<Failure>(outcome).stage, Stage::exchange);
}

}  // namespace
}  // namespace lanchat::http_client

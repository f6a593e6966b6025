// The mesh as peers see it: real lanchatd processes, a PKI made by the real lanchatctl, real TLS handshakes.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <future>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "build_paths.hpp"
#include "child_process.hpp"
#include "eventually.hpp"
#include "grpc_client.hpp"
#include "http_get.hpp"
#include "lanchat/test/v1/echo.pb.h"
#include "otlp_spans.hpp"
#include "parsed_reply.hpp"
#include "temp_dir.hpp"
#include "test_certificates.hpp"

namespace lanchat {
namespace {

using namespace lanchat::testing;
using test::v1::CountRequest;
using test::v1::SayReply;
using test::v1::SayRequest;
namespace fs = std::filesystem;

constexpr const char* kSay = "/lanchat.test.v1.Echo/Say";

void lanchatctl(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {kLanchatctl, "pki"};
    argv.insert(argv.end(), args.begin(), args.end());
    auto run = run_to_exit(argv);
    ASSERT_EQ(run.exit_code, 0) << run.output;
}

std::string say_request(const std::string& text) {
    SayRequest request;
    request.set_text(text);
    return request.SerializeAsString();
}

// Waits for `node`'s "node ready" line and returns the address its mesh listens on; throws with the
// node's output when it does not become ready.
std::string mesh_address_once_ready(ChildProcess& node) {
    auto ready = node.wait_for_line("\"node ready\"");
    if (!ready) throw std::runtime_error("the node did not start:\n" + node.output());
    return nlohmann::json::parse(*ready)["fields"]["grpc"];
}

// A running lanchatd with the echo plugin under `name`, and the address its mesh listens on.
class MeshNode {
public:
    MeshNode(const TempDir& dir, const std::string& node, const std::string& plugin_name, const fs::path& pki,
             const std::string& extra = "", const fs::path& plugin_file = kFixtures / "echo.so",
             const std::string& plugin_config = "") {
        fs::path file =
            dir.write(node + ".toml", "[node]\nname = \"" + node + "\"\ndata_dir = \"data-" + node +
                                          "\"\n[mesh]\nlisten = \"127.0.0.1:0\"\npki_dir = \"" + pki.string() + "\"\n" +
                                          extra + "\n[[plugin]]\nname = \"" + plugin_name + "\"\npath = \"" +
                                          plugin_file.string() + "\"\n" + plugin_config);
        process = std::make_unique<ChildProcess>(std::vector<std::string>{kLanchatd, file.string()});
        address = mesh_address_once_ready(*process);
    }
    ~MeshNode() {
        process->send_signal(SIGTERM);
        process->wait_exit();
    }

    std::unique_ptr<ChildProcess> process;
    std::string address;
};

constexpr const char* kEchoPolicy = "[authorization]\n\"lanchat.test.v1.Echo\" = [\"caller\", \"relay\"]\n";

class MeshTest : public ::testing::Test {
protected:
    void SetUp() override {
        lanchatctl({"init", "--dir", pki_.string(), "--trust-domain", "lan-chat.test"});
        lanchatctl({"issue", "--dir", pki_.string(), "--node", "b", "--service", "echo"});
        lanchatctl({"issue", "--dir", pki_.string(), "--node", "a", "--service", "relay"});
        lanchatctl({"issue", "--dir", pki_.string(), "--node", "a2", "--service", "relay"});
        lanchatctl({"issue", "--dir", pki_.string(), "--node", "client", "--service", "caller,intruder"});
    }
    Identity service(const std::string& node, const std::string& name) const {
        return {pki_ / "nodes" / node / (name + ".crt"), pki_ / "nodes" / node / (name + ".key")};
    }
    fs::path ca() const { return pki_ / "ca.crt"; }

    TempDir dir_;
    fs::path pki_ = dir_.path() / "pki";
};

TEST_F(MeshTest, APluginMethodIsServedOverMutualTlsWithTheCallersIdentity) {
    MeshNode node(dir_, "b", "echo", pki_, kEchoPolicy);
    auto channel = channel_to(node.address, ca(), service("client", "caller"));
    auto said = parsed<SayReply>(call(channel, kSay, say_request("hello"), {{"x-lanchat-correlation-id", "corr-1"}}));
    EXPECT_EQ(said.text(), "hello");
    EXPECT_EQ(said.peer(), "spiffe://lan-chat.test/svc/caller");
    EXPECT_EQ(said.correlation_id(), "corr-1");
    EXPECT_EQ(said.node(), "b");
    // Without one from the caller, the first hop creates a correlation id.
    Reply fresh = call(channel, kSay, say_request("again"));
    ASSERT_TRUE(said.ParseFromString(fresh.bytes));
    EXPECT_EQ(said.correlation_id().size(), 16u);
}

TEST_F(MeshTest, AHandlerThatThrowsFailsOnlyItsCallWithInternalAndIsLogged) {
    MeshNode node(dir_, "b", "echo", pki_, kEchoPolicy);
    auto channel = channel_to(node.address, ca(), service("client", "caller"));
    Reply thrown = call(channel, kSay, say_request("please throw"));
    EXPECT_EQ(thrown.status.error_code(), grpc::StatusCode::INTERNAL);
    EXPECT_EQ(thrown.status.error_message(), "the handler dropped the call without answering");
    auto logged = node.process->wait_for_line("handler threw an exception");
    ASSERT_TRUE(logged);
    EXPECT_EQ(nlohmann::json::parse(*logged)["fields"]["what"], "asked to throw");
    EXPECT_TRUE(call(channel, kSay, say_request("fine")).status.ok());
}

TEST_F(MeshTest, AServerStreamDeliversEveryMessageInOrder) {
    MeshNode node(dir_, "b", "echo", pki_, kEchoPolicy);
    CountRequest request;
    request.set_count(5);
    StreamReader stream(channel_to(node.address, ca(), service("client", "caller")), "/lanchat.test.v1.Echo/Count",
                        request.SerializeAsString());
    ASSERT_TRUE(stream.wait().ok());
    auto messages = stream.messages();
    ASSERT_EQ(messages.size(), 5u);
    for (uint32_t i = 0; i < 5; ++i) {
        SayReply reply;
        ASSERT_TRUE(reply.ParseFromString(messages[i]));
        EXPECT_EQ(reply.sequence(), i + 1);
    }
}

TEST_F(MeshTest, AMethodNobodyServesIsUnimplemented) {
    MeshNode node(dir_, "b", "echo", pki_,
                  kEchoPolicy + std::string("\"/lanchat.test.v1.Echo/Nope\" = [\"caller\"]\n"));
    Reply reply = call(channel_to(node.address, ca(), service("client", "caller")), "/lanchat.test.v1.Echo/Nope", "");
    EXPECT_EQ(reply.status.error_code(), grpc::StatusCode::UNIMPLEMENTED);
    EXPECT_EQ(reply.status.error_message(), "no plugin on this node serves /lanchat.test.v1.Echo/Nope");
}

TEST_F(MeshTest, ACallerOutsideTheAllowlistIsDeniedLoggedAndCounted) {
    MeshNode node(dir_, "b", "echo", pki_, kEchoPolicy);
    Reply reply = call(channel_to(node.address, ca(), service("client", "intruder")), kSay, say_request("let me in"));
    EXPECT_EQ(reply.status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_EQ(reply.status.error_message(), "spiffe://lan-chat.test/svc/intruder may not call " + std::string(kSay) +
                                                "; to allow it, add \"lanchat.test.v1.Echo\" = [\"intruder\"] to "
                                                "[authorization] in the node file");
    auto logged = node.process->wait_for_line("refused a call: caller not allowed");
    ASSERT_TRUE(logged);
    auto line = nlohmann::json::parse(*logged);
    EXPECT_EQ(line["fields"]["caller"], "spiffe://lan-chat.test/svc/intruder");
    EXPECT_EQ(line["fields"]["method"], kSay);
    EXPECT_EQ(line["fields"]["to_allow_add_to_authorization"], "\"lanchat.test.v1.Echo\" = [\"intruder\"]");
}

TEST_F(MeshTest, BadClientCertificatesAreRefusedAtTheHandshakeAndTheNodeKeepsServing) {
    MeshNode node(dir_, "b", "echo", pki_, kEchoPolicy);
    fs::path other_pki = dir_.path() / "other-pki";
    lanchatctl({"init", "--dir", other_pki.string(), "--trust-domain", "lan-chat.test"});
    lanchatctl({"issue", "--dir", other_pki.string(), "--node", "client", "--service", "caller"});
    auto expired =
        issue_test_certificate(pki_, dir_.path() / "expired", {"spiffe://lan-chat.test/svc/caller"}, -7200, -3600);
    auto two_uris =
        issue_test_certificate(pki_, dir_.path() / "two-uris",
                               {"spiffe://lan-chat.test/svc/caller", "spiffe://lan-chat.test/svc/audit"}, -60, 3600);
    lanchatctl({"issue", "--dir", pki_.string(), "--node", "revoked", "--service", "caller"});
    lanchatctl({"revoke", "--dir", pki_.string(), (pki_ / "nodes" / "revoked" / "caller.crt").string()});

    const std::vector<std::pair<std::string, Identity>> refused = {
        {"no client certificate", {}},
        {"a certificate from another CA",
         {other_pki / "nodes/client/caller.crt", other_pki / "nodes/client/caller.key"}},
        {"an expired certificate", {expired.certificate, expired.key}},
        {"a certificate with two URI SANs", {two_uris.certificate, two_uris.key}},
        {"a revoked certificate", service("revoked", "caller")},
    };
    for (const auto& [what, identity] : refused) {
        Reply reply = call(channel_to(node.address, ca(), identity), kSay, say_request("x"));
        EXPECT_EQ(reply.status.error_code(), grpc::StatusCode::UNAVAILABLE)
            << what << ": " << reply.status.error_message();
    }
    EXPECT_TRUE(call(channel_to(node.address, ca(), service("client", "caller")), kSay, say_request("ok")).status.ok());
}

TEST_F(MeshTest, AnEndUsersDeviceCertificateReachesNeitherHealthNorDiscoveryNorAnyMethod) {
    MeshNode node(dir_, "b", "echo", pki_, kEchoPolicy + std::string("\"lanchat.test.v1.Echo/Say\" = [\"*\"]\n"));
    lanchatctl({"issue-client", "--dir", pki_.string(), "--device", "laptop"});
    Identity device{pki_ / "clients/device-laptop.crt", pki_ / "clients/device-laptop.key"};
    std::string echo_health = std::string("\x0a\x14", 2) + "lanchat.test.v1.Echo";
    for (const auto& [method, request] :
         std::vector<std::pair<std::string, std::string>>{{"/grpc.health.v1.Health/Check", echo_health},
                                                          {"/lanchat.discovery.v1.Discovery/ListNodes", ""},
                                                          {kSay, say_request("x")}}) {
        Reply reply = call(channel_to(node.address, ca(), device), method, request);
        EXPECT_EQ(reply.status.error_code(), grpc::StatusCode::UNAVAILABLE)
            << method << ": " << reply.status.error_message();
    }
    EXPECT_TRUE(node.process->wait_for_line("an end user's device certificate"));
    Reply node_health =
        call(channel_to(node.address, ca(), service("client", "caller")), "/grpc.health.v1.Health/Check", echo_health);
    EXPECT_TRUE(node_health.status.ok()) << node_health.status.error_message();
}

TEST_F(MeshTest, AServerWithoutTheExpectedNameIsRefusedByTheClient) {
    MeshNode node(dir_, "b", "echo", pki_, kEchoPolicy);
    Reply reply =
        call(channel_to(node.address, ca(), service("client", "caller"), "audit.lan-chat.svc"), kSay, say_request("x"));
    EXPECT_EQ(reply.status.error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(MeshTest, MalformedAndOversizedRequestsAreRefusedWithTheRightStatus) {
    MeshNode node(dir_, "b", "echo", pki_, kEchoPolicy + std::string("\n"));
    auto channel = channel_to(node.address, ca(), service("client", "caller"));
    Reply malformed = call(channel, kSay, std::string("\xff\xff\xff\xff", 4));
    EXPECT_EQ(malformed.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(malformed.status.error_message(), "malformed request for " + std::string(kSay));
    Reply oversized = call(channel, kSay, say_request(std::string(5 * 1024 * 1024, 'x')));
    EXPECT_EQ(oversized.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
    EXPECT_TRUE(call(channel, kSay, say_request("still here")).status.ok());
}

TEST_F(MeshTest, StandardHealthChecksReportTheHostedServices) {
    MeshNode node(dir_, "b", "echo", pki_, kEchoPolicy);
    auto channel = channel_to(node.address, ca(), service("client", "caller"));
    // grpc.health.v1.HealthCheckRequest{service = 1}; the reply's field 1 is the status (1 = SERVING).
    std::string service_name = "lanchat.test.v1.Echo";
    std::string request = std::string("\x0a", 1) + static_cast<char>(service_name.size()) + service_name;
    Reply serving = call(channel, "/grpc.health.v1.Health/Check", request);
    ASSERT_TRUE(serving.status.ok()) << serving.status.error_message();
    EXPECT_EQ(serving.bytes, std::string("\x08\x01", 2));
    std::string unknown = std::string("\x0a\x03", 2) + "xyz";
    EXPECT_EQ(call(channel, "/grpc.health.v1.Health/Check", unknown).status.error_code(), grpc::StatusCode::NOT_FOUND);

    // A plugin that reports itself unhealthy makes its services NOT_SERVING (2).
    MeshNode sick(dir_, "b", "echo", pki_, kEchoPolicy, kFixtures / "echo.so", "[plugin.config]\nunhealthy = true\n");
    Reply not_serving =
        call(channel_to(sick.address, ca(), service("client", "caller")), "/grpc.health.v1.Health/Check", request);
    ASSERT_TRUE(not_serving.status.ok()) << not_serving.status.error_message();
    EXPECT_EQ(not_serving.bytes, std::string("\x08\x02", 2));
}

TEST_F(MeshTest, TwoNodesCallEachOtherOverMutualTlsCarryingTheCorrelationId) {
    MeshNode b(dir_, "b", "echo", pki_, kEchoPolicy);
    MeshNode a(dir_, "a", "relay", pki_, std::string(kEchoPolicy) + "[discovery]\necho = [\"" + b.address + "\"]\n");
    auto channel = channel_to(a.address, ca(), service("client", "caller"), "relay.lan-chat.svc");
    auto said = parsed<SayReply>(call(channel, "/lanchat.test.v1.Echo/Relay", say_request("across"),
                                      {{"x-lanchat-correlation-id", "corr-two-nodes"}}));
    EXPECT_EQ(said.text(), "across");
    EXPECT_EQ(said.node(), "b");
    EXPECT_EQ(said.peer(), "spiffe://lan-chat.test/svc/relay");
    EXPECT_EQ(said.correlation_id(), "corr-two-nodes");
}

TEST_F(MeshTest, AnUnreachableServiceFailsWithinTheDeadlineAndThenFailsFast) {
    MeshNode a(dir_, "a", "relay", pki_, std::string(kEchoPolicy) + "[discovery]\necho = [\"127.0.0.1:1\"]\n");
    auto channel = channel_to(a.address, ca(), service("client", "caller"), "relay.lan-chat.svc");
    std::string last_message;
    for (int i = 0; i < 6; ++i) {
        Reply reply = call(channel, "/lanchat.test.v1.Echo/Relay", say_request("x"));
        EXPECT_EQ(reply.status.error_code(), grpc::StatusCode::UNAVAILABLE) << reply.status.error_message();
        last_message = reply.status.error_message();
    }
    EXPECT_EQ(last_message,
              "circuit open for every endpoint of service 'echo' after repeated failures; retrying "
              "after 2000 ms");
}

TEST_F(MeshTest, AnIdempotentCallIsRetriedUntilTheCircuitOpensWhileOthersAreSentOnce) {
    // Non-idempotent: one attempt, so the first failure is the transport's own.
    {
        MeshNode a(dir_, "a", "relay", pki_, std::string(kEchoPolicy) + "[discovery]\necho = [\"127.0.0.1:1\"]\n");
        Reply once = call(channel_to(a.address, ca(), service("client", "caller"), "relay.lan-chat.svc"),
                          "/lanchat.test.v1.Echo/Relay", say_request("x"));
        EXPECT_EQ(once.status.error_code(), grpc::StatusCode::UNAVAILABLE);
        EXPECT_EQ(once.status.error_message().find("circuit open"), std::string::npos) << once.status.error_message();
    }
    // Idempotent: retried with backoff within the deadline, so one call alone fails often enough to open
    // the circuit (5 consecutive failures).
    MeshNode a(dir_, "a2", "relay", pki_, std::string(kEchoPolicy) + "[discovery]\necho = [\"127.0.0.1:1\"]\n",
               kFixtures / "echo.so", "[plugin.config]\nrelay_idempotent = true\n");
    Reply retried = call(channel_to(a.address, ca(), service("client", "caller"), "relay.lan-chat.svc"),
                         "/lanchat.test.v1.Echo/Relay", say_request("x"));
    EXPECT_EQ(retried.status.error_code(), grpc::StatusCode::UNAVAILABLE);
    EXPECT_EQ(retried.status.error_message(),
              "circuit open for every endpoint of service 'echo' after repeated "
              "failures; retrying after 2000 ms");
}

TEST_F(MeshTest, RotatedCertificatesArePickedUpWithoutRestart) {
    MeshNode node(dir_, "b", "echo", pki_, kEchoPolicy);
    auto served_certificate = [&] {
        grpc::GenericStub stub(channel_to(node.address, ca(), service("client", "caller")));
        grpc::ClientContext context;
        auto request = say_request("x");
        grpc::Slice slice(request.data(), request.size());
        grpc::ByteBuffer out(&slice, 1), in;
        std::promise<grpc::Status> done;
        stub.UnaryCall(&context, kSay, grpc::StubOptions(), &out, &in, [&](grpc::Status s) { done.set_value(s); });
        EXPECT_TRUE(done.get_future().get().ok());
        auto pem = context.auth_context()->FindPropertyValues("x509_pem_cert");
        return pem.empty() ? std::string() : std::string(pem[0].data(), pem[0].size());
    };
    std::string before = served_certificate();
    lanchatctl({"issue", "--dir", pki_.string(), "--node", "b", "--service", "echo"});
    std::string after;
    for (int i = 0; i < 50 && (after.empty() || after == before); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        after = served_certificate();
    }
    EXPECT_NE(after, before);
    EXPECT_EQ(after, read_file(pki_ / "nodes" / "b" / "node.crt"));
}

TEST_F(MeshTest, NodesRegisterWithDiscoveryAndFindEachOthersServicesThroughIt) {
    lanchatctl({"issue", "--dir", pki_.string(), "--node", "d", "--service", "discovery"});
    const std::string heartbeat = "registry = \"discovery\"\nheartbeat_ms = 100\n";
    MeshNode d(dir_, "d", "discovery", pki_, heartbeat, fs::path(LANCHAT_PLUGIN_DIR) / "discovery.so");
    const std::string joins = std::string(kEchoPolicy) + "[discovery]\ndiscovery = [\"" + d.address + "\"]\n";
    // [mesh] keys must precede the tables that follow them in the node file.
    MeshNode b(dir_, "b", "echo", pki_, heartbeat + joins);
    MeshNode a(dir_, "a", "relay", pki_, heartbeat + joins);

    // a has no static entry for "echo": it learns from Discovery that b hosts it.
    auto channel = channel_to(a.address, ca(), service("client", "caller"), "relay.lan-chat.svc");
    Reply reply;
    eventually(
        [&] {
            reply = call(channel, "/lanchat.test.v1.Echo/Relay", say_request("found you"));
            return reply.status.ok();
        },
        50, std::chrono::milliseconds(100));
    ASSERT_TRUE(reply.status.ok()) << reply.status.error_message();
    SayReply said;
    ASSERT_TRUE(said.ParseFromString(reply.bytes));
    EXPECT_EQ(said.node(), "b");

    // Any peer of the trust domain may list the membership: node, address, services, last seen.
    Reply listed = call(channel_to(d.address, ca(), service("client", "caller"), "discovery.lan-chat.svc"),
                        "/lanchat.discovery.v1.Discovery/ListNodes", "");
    ASSERT_TRUE(listed.status.ok()) << listed.status.error_message();
    for (const std::string& expected : {std::string("a"), std::string("b"), std::string("d"), a.address, b.address,
                                        std::string("relay"), std::string("echo"), std::string("discovery")}) {
        EXPECT_NE(listed.bytes.find(expected), std::string::npos) << expected;
    }
}

std::vector<nlohmann::json> json_lines(const std::string& text) {
    std::vector<nlohmann::json> lines;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        auto parsed = nlohmann::json::parse(line, nullptr, false);
        if (!parsed.is_discarded()) lines.push_back(parsed);
    }
    return lines;
}

TEST_F(MeshTest, OneRequestIsFollowedAcrossTwoNodesAndThreeServicesByItsIds) {
    lanchatctl({"issue", "--dir", pki_.string(), "--node", "front-node", "--service", "front"});
    lanchatctl({"issue", "--dir", pki_.string(), "--node", "back-node", "--service", "middle,echo"});
    auto echo_entry = [](const std::string& name, const std::string& config) {
        return "[[plugin]]\nname = \"" + name + "\"\npath = \"" + (kFixtures / "echo.so").string() +
               "\"\n[plugin.config]\nlog_calls = true\n" + config + "\n";
    };
    auto node_file = [&](const std::string& node, const std::string& tables, const std::string& plugins) {
        return dir_.write(node + ".toml", "[node]\nname = \"" + node + "\"\ndata_dir = \"" + node +
                                              "-data\"\nexport_traces = true\n[mesh]\nlisten = \"127.0.0.1:0\"\n"
                                              "pki_dir = \"" +
                                              pki_.string() + "\"\n" + tables + plugins);
    };
    ChildProcess back(
        {kLanchatd, node_file("back-node",
                              "[authorization]\n\"lanchat.test.v1.Middle\" = [\"front\"]\n"
                              "\"lanchat.test.v1.Echo\" = [\"middle\"]\n",
                              echo_entry("echo", "") + echo_entry("middle",
                                                                  "proto_service = \"lanchat.test.v1.Middle\"\n"
                                                                  "relay_to = \"echo\""))
                        .string()});
    std::string back_address = mesh_address_once_ready(back);
    ChildProcess front({kLanchatd, node_file("front-node",
                                             "[authorization]\n\"lanchat.test.v1.Front\" = [\"caller\"]\n"
                                             "[discovery]\nmiddle = [\"" +
                                                 back_address + "\"]\n",
                                             echo_entry("front",
                                                        "proto_service = \"lanchat.test.v1.Front\"\n"
                                                        "relay_to = \"middle\"\n"
                                                        "relay_method = \"/lanchat.test.v1.Middle/Relay\""))
                                       .string()});
    std::string front_address = mesh_address_once_ready(front);

    auto channel = channel_to(front_address, ca(), service("client", "caller"), "front.lan-chat.svc");
    auto said = parsed<SayReply>(call(channel, "/lanchat.test.v1.Front/Relay", say_request("follow me"),
                                      {{"x-lanchat-correlation-id", "corr-follow-1"}}));
    EXPECT_EQ(said.node(), "back-node");
    EXPECT_EQ(said.peer(), "spiffe://lan-chat.test/svc/middle");
    EXPECT_EQ(said.correlation_id(), "corr-follow-1");

    front.send_signal(SIGTERM);
    back.send_signal(SIGTERM);
    ASSERT_EQ(front.wait_exit(), 0);
    ASSERT_EQ(back.wait_exit(), 0);

    // Every log line written while serving the request, on both nodes, carries its ids.
    std::map<std::string, std::string> trace_of;  // plugin -> trace id seen on its line
    for (auto* node : {&front, &back}) {
        for (const auto& line : json_lines(node->output())) {
            if (line.value("correlation_id", "") != "corr-follow-1") continue;
            trace_of[line.value("plugin", "") + ":" + line.value("message", "")] = line.value("trace_id", "");
        }
    }
    ASSERT_EQ(trace_of.count("front:relaying"), 1u) << front.output();
    ASSERT_EQ(trace_of.count("middle:relaying"), 1u) << back.output();
    ASSERT_EQ(trace_of.count("echo:say"), 1u) << back.output();
    const std::string trace_id = trace_of["front:relaying"];
    EXPECT_EQ(trace_id.size(), 32u);
    for (const auto& [where, id] : trace_of) EXPECT_EQ(id, trace_id) << where;

    // The exported spans form one tree: front server -> client -> middle server -> client -> echo server.
    auto spans = otlp_spans(read_file(dir_.path() / "front-node-data" / "traces.jsonl"));
    auto back_spans = otlp_spans(read_file(dir_.path() / "back-node-data" / "traces.jsonl"));
    spans.insert(spans.end(), back_spans.begin(), back_spans.end());
    auto find_span = [&](const std::string& kind, const std::string& name) -> ExportedSpan {
        for (const auto& span : spans) {
            if (span.kind == kind && span.name == name && span.trace_id == trace_id) return span;
        }
        return {};
    };
    auto front_server = find_span("server", "lanchat.test.v1.Front/Relay");
    auto front_client = find_span("client", "lanchat.test.v1.Middle/Relay");
    auto middle_server = find_span("server", "lanchat.test.v1.Middle/Relay");
    auto middle_client = find_span("client", "lanchat.test.v1.Echo/Say");
    auto echo_server = find_span("server", "lanchat.test.v1.Echo/Say");
    for (const auto* span : {&front_server, &front_client, &middle_server, &middle_client, &echo_server}) {
        ASSERT_FALSE(span->span_id.empty());
        EXPECT_EQ(span->attributes["lanchat.correlation_id"], "corr-follow-1");
        EXPECT_EQ(span->attributes["rpc.system"], "grpc");
        EXPECT_EQ(span->attributes["rpc.grpc.status_code"], 0);
        EXPECT_EQ(span->status_code, 0);
    }
    EXPECT_EQ(front_client.parent_span_id, front_server.span_id);
    EXPECT_EQ(middle_server.parent_span_id, front_client.span_id);
    EXPECT_EQ(middle_client.parent_span_id, middle_server.span_id);
    EXPECT_EQ(echo_server.parent_span_id, middle_client.span_id);
    EXPECT_EQ(front_server.node, "front-node");
    EXPECT_EQ(front_client.plugin, "front");
    EXPECT_EQ(front_client.attributes["peer.service"], "middle");
    EXPECT_EQ(middle_server.attributes["rpc.service"], "lanchat.test.v1.Middle");
    EXPECT_EQ(middle_server.attributes["rpc.method"], "Relay");
    EXPECT_EQ(echo_server.node, "back-node");
    EXPECT_EQ(echo_server.plugin, "echo");
    EXPECT_EQ(echo_server.attributes["lanchat.caller"], "spiffe://lan-chat.test/svc/middle");
}

// One node hosting echo and middle (an echo relaying to echo): middle's calls to echo stay in this process
// by default, or go through the node's own server with [mesh] local_calls = "network". Either way the
// callee, the caller and the operator see the same thing, except the counter of in-process calls.
class LocalCallsTest : public MeshTest, public ::testing::WithParamInterface<std::string> {
protected:
    void start(const std::string& echo_callers = "\"middle\"") {
        lanchatctl({"issue", "--dir", pki_.string(), "--node", "c", "--service", "echo,middle"});
        const std::string entries = "[[plugin]]\nname = \"echo\"\npath = \"" + (kFixtures / "echo.so").string() +
                                    "\"\n[[plugin]]\nname = \"middle\"\npath = \"" + (kFixtures / "echo.so").string() +
                                    "\"\n[plugin.config]\nproto_service = \"lanchat.test.v1.Middle\"\n";
        fs::path file = dir_.write(
            "c.toml",
            "[node]\nname = \"c\"\ndata_dir = \"data-c\"\n[mesh]\nlisten = \"127.0.0.1:0\"\npki_dir = \"" +
                pki_.string() + "\"\nlocal_calls = \"" + GetParam() +
                "\"\n[authorization]\n\"lanchat.test.v1.Middle\" = [\"caller\"]\n\"lanchat.test.v1.Echo\" = [" +
                echo_callers + "]\n[admin]\nlisten = \"127.0.0.1:0\"\n" + entries);
        node_ = std::make_unique<ChildProcess>(std::vector<std::string>{kLanchatd, file.string()});
        auto ready = node_->wait_for_line("\"node ready\"");
        ASSERT_TRUE(ready) << node_->output();
        auto fields = nlohmann::json::parse(*ready)["fields"];
        admin_ = fields["admin"];
        channel_ = channel_to(fields["grpc"], ca(), service("client", "caller"), "middle.lan-chat.svc");
    }
    void TearDown() override {
        if (!node_) return;
        node_->send_signal(SIGTERM);
        EXPECT_EQ(node_->wait_exit(), 0) << node_->output();
    }
    Reply relay(const std::string& text) {
        return call(channel_, "/lanchat.test.v1.Middle/Relay", say_request(text),
                    {{"x-lanchat-correlation-id", "corr-local-1"}});
    }
    std::string metrics() { return http_request(admin_, "GET", "/metrics").body; }
    bool in_process() const { return GetParam() == "in_process"; }

    std::unique_ptr<ChildProcess> node_;
    std::string admin_;
    std::shared_ptr<grpc::Channel> channel_;
};

TEST_P(LocalCallsTest, ACallToAServiceOfTheSameNodeCarriesTheCallersIdentityAndIdsAndIsCountedByPath) {
    start();
    auto said = parsed<SayReply>(relay("next door"));
    EXPECT_EQ(said.text(), "next door");
    EXPECT_EQ(said.peer(), "spiffe://lan-chat.test/svc/middle");
    EXPECT_EQ(said.correlation_id(), "corr-local-1");
    EXPECT_EQ(said.node(), "c");
    // The served side counts its call as it ends, which may be just after the caller heard the answer.
    std::string text;
    eventually(
        [&] {
            text = metrics();
            return text.find("lanchat_rpc_server_requests_total{service=\"lanchat.test.v1.Echo\"") != std::string::npos;
        },
        50, std::chrono::milliseconds(20));
    EXPECT_NE(
        text.find("lanchat_rpc_server_requests_total{service=\"lanchat.test.v1.Echo\",method=\"Say\",code=\"OK\"} "
                  "1\n"),
        std::string::npos)
        << text;
    EXPECT_NE(text.find("lanchat_rpc_client_requests_total{service=\"echo\",method=\"Say\",code=\"OK\"} 1\n"),
              std::string::npos)
        << text;
    const std::string in_process_count =
        "lanchat_rpc_client_in_process_total{service=\"echo\",method=\"Say\",code=\"OK\"} 1\n";
    EXPECT_EQ(text.find(in_process_count) != std::string::npos, in_process()) << text;
}

TEST_P(LocalCallsTest, ACallerTheAllowlistDoesNotNameIsRefusedAndCountedOnEitherPath) {
    start("\"caller\"");
    Reply refused = relay("let me through");
    EXPECT_EQ(refused.status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_EQ(refused.status.error_message(),
              "spiffe://lan-chat.test/svc/middle may not call /lanchat.test.v1.Echo/Say; to allow it, add "
              "\"lanchat.test.v1.Echo\" = [\"middle\"] to [authorization] in the node file");
    std::string text = metrics();
    EXPECT_NE(text.find("lanchat_rpc_refused_total{method=\"/lanchat.test.v1.Echo/Say\"} 1\n"), std::string::npos)
        << text;
    ASSERT_TRUE(node_->wait_for_line("refused a call: caller not allowed"));
}

TEST_P(LocalCallsTest, ReloadingTheCalledPluginWhileCallsFlowFailsNoCall) {
    start();
    std::atomic<bool> stop{false};
    std::atomic<uint64_t> ok{0}, failed{0};
    std::string first_failure;
    std::thread load([&] {
        while (!stop) {
            Reply reply = relay("during reload");
            if (reply.status.ok()) {
                ++ok;
            } else if (failed++ == 0) {
                first_failure = std::to_string(reply.status.error_code()) + " " + reply.status.error_message();
            }
        }
    });
    for (int i = 0; i < 10; ++i) {
        auto reloaded = http_request(admin_, "POST", "/plugins/echo/reload");
        ASSERT_EQ(reloaded.status, 200) << reloaded.body;
    }
    stop = true;
    load.join();
    EXPECT_EQ(failed, 0u) << first_failure;
    EXPECT_GT(ok, 10u);
}

INSTANTIATE_TEST_SUITE_P(BothPaths, LocalCallsTest, ::testing::Values("in_process", "network"),
                         [](const auto& info) { return info.param; });

TEST_F(MeshTest, ANodeWithoutItsCertificateRefusesToStartAndSaysHowToFixIt) {
    fs::path file = dir_.write(
        "n.toml", "[node]\nname = \"nobody\"\n[mesh]\nlisten = \"127.0.0.1:0\"\npki_dir = \"" + pki_.string() + "\"\n");
    auto run = run_to_exit({kLanchatd, file.string()});
    EXPECT_EQ(run.exit_code, 1);
    EXPECT_NE(run.output.find("[mesh] in " + file.string() + ": node certificate " +
                              (pki_ / "nodes" / "nobody" / "node.crt").string() +
                              " not found; create it with 'lanchatctl pki' (see README, The local PKI)"),
              std::string::npos)
        << run.output;
}

}  // namespace
}  // namespace lanchat

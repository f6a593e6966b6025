// The TLS configuration of a real node's two HTTPS listeners, audited by testssl (Debian's testssl.sh):
// the client edge and the admin endpoint offer TLS 1.2 and 1.3 only, no weak cipher, and testssl reports
// nothing of severity MEDIUM or above on either but the one finding kAccepted explains.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "build_paths.hpp"
#include "child_process.hpp"
#include "temp_dir.hpp"

namespace lanchat {
namespace {

using namespace lanchat::testing;
using nlohmann::json;
namespace fs = std::filesystem;

// testssl's checks the audit needs: protocols (-p), cipher categories by strength (-s), forward secrecy
// (-f), server defaults and the certificate (-S) and the known vulnerabilities (-U), one connection at a
// time against loopback. --fast skips the slow per-cipher listings that -p and -s make redundant here.
const std::vector<std::string> kChecks = {"-p", "-s", "-f", "-S", "-U", "--fast"};

// The one finding accepted, and why: the LAN's certificates name no CRL or OCSP URI because nothing serves
// one. Revocation is the CRL the operator keeps in the PKI directory (`lanchatctl pki revoke`), which every
// node reloads and checks its peers against; a client of the edge trusts the LAN's own CA, never a public one.
const std::map<std::string, std::string> kAccepted = {
    {"cert_revocation", "the PKI's CRL is a file each node loads, not a URI in the certificate"}};

// What testssl names SSLv2 to TLS 1.1 in its findings: none may be offered.
const std::vector<std::string> kOldProtocols = {"SSLv2", "SSLv3", "TLS1", "TLS1_1"};

// testssl's full path (the test runs programs by path), or empty when it is not installed.
std::string testssl_program() {
    std::string path = std::getenv("PATH") != nullptr ? std::getenv("PATH") : "/usr/bin";
    for (size_t start = 0; start <= path.size();) {
        size_t end = std::min(path.find(':', start), path.size());
        fs::path candidate = fs::path(path.substr(start, end - start)) / "testssl";
        if (access(candidate.c_str(), X_OK) == 0) return candidate.string();
        start = end + 1;
    }
    return {};
}

class TlsAuditTest : public ::testing::Test {
protected:
    void SetUp() override {
        pki("init", {"--trust-domain", "lan-chat.test"});
        pki("issue", {"--node", "n", "--service", "echo", "--address", "127.0.0.1"});
        fs::path file = dir_.write(
            "n.toml", "[node]\nname = \"n\"\ndata_dir = \"data\"\n[mesh]\nlisten = \"127.0.0.1:0\"\npki_dir = \"" +
                          pki_.string() +
                          "\"\n[admin]\nlisten = \"127.0.0.1:0\"\nhttps = true\n"
                          "[client_edge]\nlisten = \"127.0.0.1:0\"\n"
                          "[[plugin]]\nname = \"echo\"\npath = \"" +
                          (kFixtures / "echo.so").string() + "\"\n");
        node_ = std::make_unique<ChildProcess>(std::vector<std::string>{kLanchatd, file.string()});
        auto ready = node_->wait_for_line("\"node ready\"");
        ASSERT_TRUE(ready) << node_->output();
        json fields = json::parse(*ready)["fields"];
        admin_ = port_of(fields["admin"]);
        edge_ = port_of(fields["clients"]);
    }
    void TearDown() override {
        if (node_) {
            node_->send_signal(SIGTERM);
            EXPECT_EQ(node_->wait_exit(), 0) << node_->output();
        }
    }

    void pki(const std::string& command, std::vector<std::string> args) {
        std::vector<std::string> argv = {kLanchatctl, "pki", command, "--dir", pki_.string()};
        argv.insert(argv.end(), args.begin(), args.end());
        ASSERT_EQ(run_to_exit(argv).exit_code, 0);
    }

    // "https://127.0.0.1:PORT/" -> "PORT"
    static std::string port_of(const std::string& url) {
        std::string rest = url.substr(url.rfind(':') + 1);
        return rest.substr(0, rest.find('/'));
    }

    // testssl's findings for 127.0.0.1:`port` (a name in the node certificate), trusting the node's CA.
    json audit(const std::string& port) {
        fs::path findings = dir_.path() / ("testssl-" + port + ".json");
        std::string testssl = testssl_program();
        if (testssl.empty()) throw std::runtime_error("testssl is not installed: run scripts/install-deps.sh");
        std::vector<std::string> argv = {testssl,
                                         "--quiet",
                                         "--color",
                                         "0",
                                         "--warnings",
                                         "off",
                                         "--connect-timeout",
                                         "5",
                                         "--openssl-timeout",
                                         "5",
                                         "--add-ca",
                                         (pki_ / "ca.crt").string(),
                                         "--jsonfile",
                                         findings.string()};
        argv.insert(argv.end(), kChecks.begin(), kChecks.end());
        argv.push_back("127.0.0.1:" + port);
        Completed run = run_to_exit(argv, std::chrono::seconds(120));
        std::ifstream file(findings);
        if (!file)
            throw std::runtime_error("testssl wrote no findings (exit " + std::to_string(run.exit_code) +
                                     "): is it installed (scripts/install-deps.sh)?\n" + run.output);
        return json::parse(file);
    }

    static void expect_sound(const json& findings, const std::string& listener) {
        ASSERT_TRUE(findings.is_array() && !findings.empty()) << listener << ": testssl found nothing to report";
        std::map<std::string, std::string> by_id;
        for (const json& finding : findings) {
            std::string severity = finding.value("severity", "");
            std::string id = finding.value("id", "");
            by_id[id] = finding.value("finding", "");
            bool serious = severity == "MEDIUM" || severity == "HIGH" || severity == "CRITICAL";
            EXPECT_TRUE(!serious || kAccepted.count(id) == 1)
                << listener << ": " << severity << " finding " << id << ": " << by_id[id];
            EXPECT_NE(severity, "FATAL") << listener << ": testssl could not finish (" << id << ": " << by_id[id]
                                         << ")";
        }
        for (const std::string& protocol : kOldProtocols) {
            EXPECT_EQ(by_id[protocol].rfind("not offered", 0), 0u)
                << listener << " offers " << protocol << ": " << by_id[protocol];
        }
        EXPECT_EQ(by_id["TLS1_2"].rfind("offered", 0), 0u) << listener << ": " << by_id["TLS1_2"];
        EXPECT_EQ(by_id["TLS1_3"].rfind("offered", 0), 0u) << listener << ": " << by_id["TLS1_3"];
    }

    TempDir dir_;
    fs::path pki_ = dir_.path() / "pki";
    std::unique_ptr<ChildProcess> node_;
    std::string admin_;
    std::string edge_;
};

TEST_F(TlsAuditTest, ClientEdgeOffersOnlyStrongTls) { expect_sound(audit(edge_), "client edge"); }

TEST_F(TlsAuditTest, AdminEndpointOffersOnlyStrongTls) { expect_sound(audit(admin_), "admin"); }

}  // namespace
}  // namespace lanchat

#include "mesh/stub_cache.hpp"

#include <gtest/gtest.h>

#include <optional>

#include "lanchat/pki/certificate_authority.hpp"
#include "logging/log.hpp"
#include "net/revocation.hpp"
#include "temp_dir.hpp"

namespace lanchat::host::mesh {
namespace {

// A PKI whose node "node-1" has identities for audit and auth only.
class StubCacheTest : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(pki::init_ca(layout_, {"lan-chat.local", pki::KeyAlgorithm::ecdsa_p256, 3650}).ok());
        ASSERT_TRUE(pki::issue_node(layout_, "node-1", {"audit", "auth"}, {}).ok());
        auto revocations = net::Revocations::load(layout_.crl(), layout_.ca_certificate(), log_);
        ASSERT_TRUE(revocations.ok()) << revocations.status().message();
        cache_.emplace(dir_.path() / "pki", "node-1", 4 * 1024 * 1024, *revocations);
    }

    lanchat::testing::TempDir dir_;
    pki::PkiLayout layout_{dir_.path() / "pki"};
    NodeLog log_{LogFormat::text, LANCHAT_LOG_ERROR};
    std::optional<StubCache> cache_;
};

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

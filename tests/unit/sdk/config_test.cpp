// The SDK's typed Config, reading through the real host table (host/abi/) from a real node file.
#include "lanchat/sdk/config.hpp"

#include <gtest/gtest.h>

#include "abi/host_api.hpp"
#include "config/node_config.hpp"
#include "runtime/host_context.hpp"
#include "temp_dir.hpp"

namespace lanchat::sdk {
namespace {

class SdkConfigTest : public ::testing::Test {
protected:
    void SetUp() override {
        auto loaded = host::load_node_config(dir_.write("node.toml", R"([node]
name = "n"
[[plugin]]
name = "a"
path = "a.so"
[plugin.config]
name = "general"
max_body = 4096
huge = 5000000000
ratio = 0.25
whole_ratio = 2
enabled = true
timeout_ms = 1500
negative_ms = -1
peers = ["x:1", "y:2"]
mixed = ["x", 2]
[plugin.config.store]
path = "db.sqlite"
)"),
                                             "/p");
        ASSERT_TRUE(loaded.ok()) << loaded.status().message();
        context_.config = loaded->plugins[0].config;
        context_.data_dir = "/var/lib/lanchat/a";
    }
    Config config() { return Config(api_.get(), &context_); }
    std::string file() const { return (dir_.path() / "node.toml").string(); }

    lanchat::testing::TempDir dir_;
    host::abi::HostApiTable api_{"n", nullptr};
    lanchat_host_context context_;
};

TEST_F(SdkConfigTest, ReadsEachSupportedType) {
    EXPECT_EQ(config().get<std::string>("name").value(), "general");
    EXPECT_EQ(config().get<int>("max_body").value(), 4096);
    EXPECT_EQ(config().get<int64_t>("huge").value(), 5000000000);
    EXPECT_DOUBLE_EQ(config().get<double>("ratio").value(), 0.25);
    EXPECT_DOUBLE_EQ(config().get<double>("whole_ratio").value(), 2.0);
    EXPECT_TRUE(config().get<bool>("enabled").value());
    EXPECT_EQ(config().get<std::chrono::milliseconds>("timeout_ms").value(), std::chrono::milliseconds(1500));
    EXPECT_EQ(config().get<std::vector<std::string>>("peers").value(), (std::vector<std::string>{"x:1", "y:2"}));
    EXPECT_EQ(config().get<std::string>("store.path").value(), "db.sqlite");
    EXPECT_EQ(config().data_dir(), "/var/lib/lanchat/a");
}

TEST_F(SdkConfigTest, FallbacksApplyOnlyWhenTheKeyIsAbsent) {
    EXPECT_EQ(config().get_or<int>("absent", 7).value(), 7);
    EXPECT_EQ(config().value_or<int>("max_body", 7), 4096);
    EXPECT_FALSE(config().get_or<int>("name", 7).ok());
}

TEST_F(SdkConfigTest, ErrorsNameTheKeyItsPlaceAndTheTypes) {
    EXPECT_EQ(config().get<int>("name").status().message(),
              "config key 'name' at " + file() + ":7:8: expected an integer, found a string");
    EXPECT_EQ(config().get<std::string>("absent").status().message(), "missing config key 'absent' in " + file());
    EXPECT_EQ(config().get<int32_t>("huge").status().message(),
              "config key 'huge' at " + file() + ":9:8: 5000000000 is out of range (-2147483648 to 2147483647)");
    EXPECT_EQ(config().get<uint16_t>("max_body").value(), 4096);
    EXPECT_FALSE(config().get<uint8_t>("max_body").ok());
    EXPECT_EQ(config().get<std::chrono::milliseconds>("negative_ms").status().message(),
              "config key 'negative_ms' at " + file() + ":14:15: a duration must not be negative, found -1");
    EXPECT_EQ(config().get<std::vector<std::string>>("mixed").status().message(),
              "config key 'mixed[1]' at " + file() + ":16:15: expected a string, found an integer");
    EXPECT_EQ(config().get<int>("name").status().code(), Code::invalid_argument);
}

TEST_F(SdkConfigTest, RequireThrowsAStatusErrorTheSdkTurnsIntoAFailedCreate) {
    try {
        (void)config().require<bool>("ratio");
        FAIL() << "require did not throw";
    } catch (const StatusError& e) {
        EXPECT_EQ(e.status().message(), "config key 'ratio' at " + file() + ":10:9: expected a boolean, found a float");
    }
}

TEST_F(SdkConfigTest, AllowOnlyRefusesUnknownKeysNamingThePlace) {
    EXPECT_TRUE(config().allow_only({"path"}, "store").ok());
    EXPECT_EQ(config().allow_only({"path2"}, "store").message(),
              "unknown config key 'store.path' at " + file() + ":18:8 (known keys: path2)");
    EXPECT_EQ(config().keys("store"), std::vector<std::string>{"path"});
}

}  // namespace
}  // namespace lanchat::sdk

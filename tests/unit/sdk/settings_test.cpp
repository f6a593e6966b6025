// The SDK's declared settings, reading through the real host table (host_api.cpp) from a real node file,
// and the check LANCHAT_PLUGIN's create runs before a plugin's constructor.
#include "lanchat/sdk/settings.hpp"

#include <gtest/gtest.h>

#include "abi/host_api.hpp"
#include "config/node_config.hpp"
#include "lanchat/sdk/export.hpp"
#include "runtime/host_context.hpp"
#include "temp_dir.hpp"

namespace lanchat::sdk {
namespace {

constexpr lanchat_str kPeers[] = {{"a:1", 3}, {"b:2", 3}};

constexpr Setting kTable[] = {
    setting::integer("max_body_bytes", 4000, 1, 1048576, "the largest body"),
    setting::number("rate_per_second", 20, 0.1, 10000, "requests per second"),
    setting::milliseconds("timeout_ms", 5000, 100, setting::kNoLimit, "how long to wait"),
    setting::string("greeting", "hello", "what to say"),
    setting::boolean("verbose", false, "say more"),
    setting::string_list("peers", "whom to ask"),
};

class SettingsTest : public ::testing::Test {
protected:
    // Loads `config` as the [plugin.config] of plugin "a", starting on line 7 of node.toml.
    Settings settings_for(const std::string& config, std::span<const Setting> table = kTable) {
        auto loaded = host::load_node_config(
            dir_.write(
                "node.toml",
                "[node]\nname = \"n\"\n[[plugin]]\nname = \"a\"\npath = \"a.so\"\n[plugin.config]\n" + config + "\n"),
            "/p");
        if (!loaded.ok()) throw StatusError(loaded.status());
        context_.config = loaded->plugins[0].config;
        return Settings(config_, table);
    }
    std::string file() const { return (dir_.path() / "node.toml").string(); }

    // One line of config and how check() refuses it: the key it names, where (line:column), and why.
    struct Refusal {
        std::string line, key, where, why;
    };

    void expect_refusals(std::initializer_list<Refusal> refusals) {
        for (const auto& refusal : refusals) {
            EXPECT_EQ(settings_for(refusal.line).check().message(),
                      "config key '" + refusal.key + "' at " + file() + ":" + refusal.where + ": " + refusal.why);
        }
    }

    lanchat::testing::TempDir dir_;
    host::abi::HostApiTable api_{"n", nullptr};
    lanchat_host_context context_;
    Config config_{api_.get(), &context_};
};

TEST_F(SettingsTest, AbsentKeysTakeTheirDefaults) {
    Settings settings = settings_for("");
    ASSERT_TRUE(settings.check().ok());
    EXPECT_EQ(settings.get<size_t>("max_body_bytes"), 4000u);
    EXPECT_DOUBLE_EQ(settings.get<double>("rate_per_second"), 20.0);
    EXPECT_EQ(settings.get<std::chrono::milliseconds>("timeout_ms"), std::chrono::milliseconds(5000));
    EXPECT_EQ(settings.get<std::string>("greeting"), "hello");
    EXPECT_FALSE(settings.get<bool>("verbose"));
    EXPECT_TRUE(settings.get<std::vector<std::string>>("peers").empty());
}

TEST_F(SettingsTest, ConfiguredValuesAreReadInsteadOfTheDefaults) {
    Settings settings = settings_for(
        "max_body_bytes = 12\nrate_per_second = 2\ntimeout_ms = 100\ngreeting = \"hi\"\nverbose = true\n"
        "peers = [\"x:1\"]");
    ASSERT_TRUE(settings.check().ok()) << settings.check().message();
    EXPECT_EQ(settings.get<int>("max_body_bytes"), 12);
    EXPECT_DOUBLE_EQ(settings.get<double>("rate_per_second"), 2.0);  // an integer is a number too
    EXPECT_EQ(settings.get<std::chrono::milliseconds>("timeout_ms"), std::chrono::milliseconds(100));
    EXPECT_EQ(settings.get<std::string>("greeting"), "hi");
    EXPECT_TRUE(settings.get<bool>("verbose"));
    EXPECT_EQ(settings.get<std::vector<std::string>>("peers"), std::vector<std::string>{"x:1"});
}

TEST_F(SettingsTest, AListDefaultIsEveryStringOfIt) {
    Setting peers = setting::string_list("peers", "whom to ask");
    peers.list_default = kPeers;
    peers.list_default_count = 2;
    const Setting table[] = {peers};
    EXPECT_EQ(settings_for("", table).get<std::vector<std::string>>("peers"), (std::vector<std::string>{"a:1", "b:2"}));
}

TEST_F(SettingsTest, AnUnknownKeyIsRefusedWhereItIsWithTheKnownOnes) {
    EXPECT_EQ(settings_for("verbsoe = true").check().message(),
              "unknown config key 'verbsoe' at " + file() +
                  ":7:11 (known keys: max_body_bytes, rate_per_second, "
                  "timeout_ms, greeting, verbose, peers)");
}

TEST_F(SettingsTest, AnEmptyTableRefusesEveryKey) {
    EXPECT_TRUE(settings_for("", {}).check().ok());
    EXPECT_EQ(settings_for("retention_days = 365", {}).check().message(),
              "unknown config key 'retention_days' at " + file() + ":7:18 (it takes no keys)");
}

TEST_F(SettingsTest, AWrongTypeIsRefusedWithWhatWasExpectedAndFound) {
    expect_refusals({
        {"max_body_bytes = \"4000\"", "max_body_bytes", "7:18", "expected an integer, found a string"},
        {"verbose = 1", "verbose", "7:11", "expected a boolean, found an integer"},
        {"peers = [\"x\", 2]", "peers[1]", "7:15", "expected a string, found an integer"},
    });
    EXPECT_EQ(settings_for("timeout_ms = 1.5").check().code(), Code::invalid_argument);
}

TEST_F(SettingsTest, AValueOutOfRangeIsRefusedWithTheRangeAndWhatWasFound) {
    expect_refusals({
        {"rate_per_second = -5", "rate_per_second", "7:19", "must be between 0.1 and 10000, found -5"},
        {"max_body_bytes = 2000000", "max_body_bytes", "7:18", "must be between 1 and 1048576, found 2000000"},
        {"timeout_ms = 99", "timeout_ms", "7:14", "must be at least 100, found 99"},
        {"timeout_ms = -1", "timeout_ms", "7:14", "a duration must not be negative, found -1"},
    });
}

TEST_F(SettingsTest, TheBoundsThemselvesAreAccepted) {
    EXPECT_TRUE(settings_for("max_body_bytes = 1\nrate_per_second = 10000\ntimeout_ms = 100").check().ok());
    EXPECT_TRUE(settings_for("max_body_bytes = 1048576\nrate_per_second = 0.1").check().ok());
}

TEST_F(SettingsTest, ReadingANameOutsideTheTableIsAProgrammingError) {
    Settings settings = settings_for("");
    try {
        (void)settings.get<int>("max_body");
        FAIL() << "get did not throw";
    } catch (const StatusError& e) {
        EXPECT_EQ(e.status().code(), Code::internal);
        EXPECT_EQ(e.status().message(), "setting 'max_body' is not in the plugin's settings table");
    }
}

TEST_F(SettingsTest, RangesReadAsPeopleWriteThem) {
    EXPECT_EQ(Settings::range_text(kTable[0]), "between 1 and 1048576");
    EXPECT_EQ(Settings::range_text(kTable[1]), "between 0.1 and 10000");
    EXPECT_EQ(Settings::range_text(kTable[2]), "at least 100");
    EXPECT_EQ(Settings::range_text(kTable[3]), "");
    EXPECT_EQ(Settings::range_text(setting::milliseconds("t", 0, 0, setting::kNoLimit, "")), "");
}

// A plugin whose constructor says it ran, exported through the SDK's own trampolines.
bool constructed = false;
class Recorder : public Plugin {
public:
    explicit Recorder(Host& host) : Plugin(host), body_(settings().get<size_t>("max_body_bytes")) {
        constructed = true;
    }
    size_t body_;
};
constexpr detail::SettingsTable kDeclared = detail::declared_settings(kTable);

TEST_F(SettingsTest, CreateRefusesABadSettingBeforeThePluginsConstructorRuns) {
    (void)settings_for("rate_per_second = -5");
    const lanchat_plugin_vtable vtable = detail::vtable_for<Recorder, &kDeclared>();
    lanchat_instance* instance = nullptr;
    StringSink error;
    constructed = false;
    EXPECT_EQ(vtable.create(api_.get(), &context_, &instance, error.get()), LANCHAT_INVALID_ARGUMENT);
    EXPECT_EQ(instance, nullptr);
    EXPECT_FALSE(constructed);
    EXPECT_EQ(error.text(),
              "config key 'rate_per_second' at " + file() + ":7:19: must be between 0.1 and 10000, found -5");

    (void)settings_for("max_body_bytes = 7");
    ASSERT_EQ(vtable.create(api_.get(), &context_, &instance, error.get()), LANCHAT_OK);
    EXPECT_TRUE(constructed);
    vtable.destroy(instance);
}

}  // namespace
}  // namespace lanchat::sdk

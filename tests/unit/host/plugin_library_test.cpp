#include "loader/plugin_library.hpp"

#include <gtest/gtest.h>

#include "build_paths.hpp"

namespace lanchat::host {
namespace {

using lanchat::testing::kFixtures;

std::string error_of(const std::filesystem::path& path) {
    auto opened = PluginLibrary::open(path);
    return opened.ok() ? "" : opened.status().message();
}

TEST(PluginLibraryTest, LoadsAPluginAndReadsItsDescriptor) {
    auto opened = PluginLibrary::open(kFixtures / "probe.so");
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    EXPECT_EQ((*opened)->name(), "probe");
    EXPECT_EQ((*opened)->version(), "1.2.3");
    EXPECT_EQ((*opened)->abi().text(), host_abi().text());
}

TEST(PluginLibraryTest, ReadsTheSettingsTableADescriptorDeclares) {
    auto probe = PluginLibrary::open(kFixtures / "probe.so");
    ASSERT_TRUE(probe.ok()) << probe.status().message();
    ASSERT_TRUE((*probe)->settings().has_value());
    ASSERT_EQ((*probe)->settings()->size(), 7u);
    const lanchat_setting& drain = (*probe)->settings()->at(3);
    EXPECT_EQ(std::string_view(drain.name.data, drain.name.size), "drain_ms");
    EXPECT_EQ(drain.type, LANCHAT_SETTING_MILLISECONDS);
    EXPECT_EQ(drain.integer_default, 0);

    auto compat = PluginLibrary::open(LANCHAT_COMPAT_PLUGIN);
    ASSERT_TRUE(compat.ok()) << compat.status().message();
    EXPECT_FALSE((*compat)->settings().has_value());  // built against ABI 1.0, before tables
}

TEST(PluginLibraryTest, AMalformedSettingsTableIsRefused) {
    const auto path = kFixtures / "short_setting_rows.so";
    EXPECT_EQ(error_of(path), path.string() + ": its settings table has rows of 16 bytes, smaller than ABI 1.4's " +
                                  std::to_string(sizeof(lanchat_setting)));
}

TEST(PluginLibraryTest, UnloadLeavesNoMappingOfTheFile) {
    const auto path = kFixtures / "probe.so";
    auto opened = PluginLibrary::open(path);
    ASSERT_TRUE(opened.ok());
    EXPECT_TRUE(is_mapped(path));
    EXPECT_TRUE((*opened)->unload().ok());
    EXPECT_FALSE(is_mapped(path));
}

TEST(PluginLibraryTest, RepeatedLoadAndUnloadNeverAccumulatesMappings) {
    const auto path = kFixtures / "probe.so";
    for (int round = 0; round < 50; ++round) {
        auto opened = PluginLibrary::open(path);
        ASSERT_TRUE(opened.ok());
        ASSERT_TRUE((*opened)->unload().ok()) << "round " << round;
    }
    EXPECT_FALSE(is_mapped(path));
}

TEST(PluginLibraryTest, APluginThatPinsItselfIsReportedAsStillLoaded) {
    const auto path = kFixtures / "pinned.so";
    auto opened = PluginLibrary::open(path);
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    sdk::Status unloaded = (*opened)->unload();
    EXPECT_EQ(unloaded.message(), path.string() +
                                      ": still loaded after unload, so its old code would keep running; "
                                      "something holds it (a dlopen of it with RTLD_NODELETE, or a library it "
                                      "loaded that lanchatd had not)");
    EXPECT_TRUE(is_mapped(path));
}

TEST(PluginLibraryTest, APluginWithGnuUniqueSymbolsIsRefusedBeforeItIsLoaded) {
    const auto path = kFixtures / "gnu_unique.so";
    const std::string error = error_of(path);
    EXPECT_EQ(error.rfind(path.string() + ": defines ", 0), 0u) << error;
    EXPECT_NE(error.find(" STB_GNU_UNIQUE symbols (lanchat::gnu_unique::Registry<lanchat::gnu_unique::GnuUnique>"
                         "::instances"),
              std::string::npos)
        << error;
    EXPECT_NE(error.find("which keep it loaded after unload, so a reload would run its old code; build it with "
                         "lanchat_add_plugin, which compiles with -fno-gnu-unique"),
              std::string::npos)
        << error;
    EXPECT_FALSE(is_mapped(path));
}

TEST(PluginLibraryTest, APluginWithFullRuntimeProtobufCodeIsRefusedBeforeItIsLoaded) {
    const auto path = kFixtures / "full_runtime.so";
    const std::string error = error_of(path);
    EXPECT_EQ(error.rfind(path.string() + ": contains protobuf code generated for the full runtime (it imports "
                                          "google::protobuf::internal::",
                          0),
              0u)
        << error;
    EXPECT_NE(error.find("which aborts the node when the plugin is loaded a second time, at its first reload; add "
                         "`option optimize_for = LITE_RUNTIME;` to the plugin's .proto files (lanchat_add_plugin "
                         "PROTOS checks it)"),
              std::string::npos)
        << error;
    EXPECT_FALSE(is_mapped(path));
}

TEST(PluginLibraryTest, APluginNeedingALibraryTheHostHasNotLoadedIsRefusedBeforeItIsLoaded) {
    const auto path = kFixtures / "lite_library.so";
    EXPECT_EQ(error_of(path), path.string() +
                                  ": needs libprotobuf-lite.so.32, which lanchatd has not loaded; link "
                                  "protobuf::libprotobuf instead (lanchatd loads it, and LITE_RUNTIME messages "
                                  "run on it)");
    EXPECT_FALSE(is_mapped(path));
}

TEST(PluginLibraryTest, AFileThatIsNoLoadablePluginIsRefusedWithWhatItIs) {
    const std::pair<std::filesystem::path, std::string> refusals[] = {
        {kFixtures / "absent.so", "plugin file not found"},
        {kFixtures, "is a directory, not a plugin file"},
        {kFixtures / "not_elf.so",
         "not a shared object (no ELF header); a plugin is a .so built with lanchat_add_plugin"},
        {kFixtures / "an_executable",
         "not a shared object: it is an executable; a plugin is a .so built with lanchat_add_plugin"},
        {kFixtures / "wrong_arch.so", "wrong architecture: built for i386 (32-bit), this host runs on x86_64 (64-bit)"},
        {kFixtures / "no_entry.so",
         "entry symbol 'lanchat_plugin_entry' not found; is this a lanchat plugin? (the SDK's LANCHAT_PLUGIN macro "
         "exports it)"},
    };
    for (const auto& [path, why] : refusals) EXPECT_EQ(error_of(path), path.string() + ": " + why);
}

TEST(PluginLibraryTest, DifferentMajorNamesBothVersions) {
    EXPECT_EQ(error_of(kFixtures / "abi_major_2.so"),
              (kFixtures / "abi_major_2.so").string() + ": plugin ABI 2.0 is incompatible with host ABI " +
                  host_abi().text() + " (the major version must match); rebuild the plugin against this host's SDK");
}

TEST(PluginLibraryTest, NewerMinorNamesBothVersions) {
    AbiVersion newer{host_abi().major, static_cast<uint16_t>(host_abi().minor + 1)};
    EXPECT_EQ(error_of(kFixtures / "abi_minor_newer.so"),
              (kFixtures / "abi_minor_newer.so").string() + ": plugin ABI " + newer.text() +
                  " is newer than host ABI " + host_abi().text() + "; upgrade lanchatd or rebuild the plugin " +
                  "against SDK " + host_abi().text());
}

}  // namespace
}  // namespace lanchat::host

// Negotiation as a plugin sees it: what the host offers, and which versions have what another needs.
#include "lanchat/sdk/abi_version.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "abi/host_api.hpp"
#include "lanchat/sdk/host.hpp"
#include "loader/plugin_library.hpp"
#include "runtime/host_context.hpp"

namespace lanchat::sdk {
namespace {

TEST(AbiVersionTest, AnInstanceReadsTheHostsVersionFromItsTable) {
    host::abi::HostApiTable table{"n", nullptr};
    lanchat_host_context context;
    Host host(table.get(), &context);
    EXPECT_EQ(host.host_abi_version(), (AbiVersion{LANCHAT_ABI_MAJOR, LANCHAT_ABI_MINOR}));
}

TEST(AbiVersionTest, AVersionProvidesEveryOlderMinorOfItsOwnMajorOnly) {
    AbiVersion host{1, 3};
    EXPECT_TRUE(host.provides({1, 0}));
    EXPECT_TRUE(host.provides({1, 3}));
    EXPECT_FALSE(host.provides({1, 4}));
    EXPECT_FALSE(host.provides({2, 0}));
    EXPECT_FALSE((AbiVersion{2, 5}).provides({1, 0}));
}

TEST(AbiVersionTest, APluginsEntryRecordsTheHostVersionInItsOwnLibraryOnly) {
    auto opened = host::PluginLibrary::open(std::filesystem::path(LANCHAT_TEST_FIXTURES) / "probe.so");
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    // The probe's entry ran and recorded 1.x in its own copy; this binary's copy was never written.
    EXPECT_EQ(host_abi_version(), AbiVersion{});
}

}  // namespace
}  // namespace lanchat::sdk

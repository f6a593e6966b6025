#include "lanchat/cli/arguments.hpp"

#include <gtest/gtest.h>

namespace lanchat::cli {
namespace {

TEST(ArgumentsTest, FlagsTakeTheirValueAnywhereAndEveryOtherWordIsPositional) {
    Arguments arguments({"status", "--admin", "http://h:1", "extra", "--json", "--cert", ""}, {"admin", "cert"},
                        {"json"});
    ASSERT_FALSE(arguments.error()) << *arguments.error();
    EXPECT_EQ(arguments.value("admin"), "http://h:1");
    EXPECT_EQ(arguments.value("cert"), "");
    EXPECT_TRUE(arguments.has("json"));
    EXPECT_FALSE(arguments.has("admin-missing"));
    EXPECT_EQ(arguments.positional(), (std::vector<std::string>{"status", "extra"}));
    EXPECT_FALSE(arguments.help_requested());
}

TEST(ArgumentsTest, RepeatedAndCommaSeparatedValuesAllCountAndTheLastOneWins) {
    Arguments arguments({"--service", "audit,auth", "--service", "router", "--dir=/tmp/pki"}, {"service", "dir"});
    ASSERT_FALSE(arguments.error()) << *arguments.error();
    EXPECT_EQ(arguments.values("service"), (std::vector<std::string>{"audit", "auth", "router"}));
    EXPECT_EQ(arguments.value("service"), "router");
    EXPECT_EQ(arguments.value("dir"), "/tmp/pki");
}

TEST(ArgumentsTest, AnUnknownFlagOrAMissingValueIsTheError) {
    EXPECT_EQ(Arguments({"--frobnicate", "x"}, {"admin"}).error(), "unknown option --frobnicate");
    EXPECT_EQ(Arguments({"health", "--admin"}, {"admin"}).error(), "--admin needs a value");
}

TEST(ArgumentsTest, HelpIsAlwaysKnownInBothSpellings) {
    EXPECT_TRUE(Arguments({"--help"}, {}).help_requested());
    EXPECT_TRUE(Arguments({"reload", "-h"}, {"admin"}).help_requested());
    Arguments declared({"--help"}, {}, {"help", "private"});
    EXPECT_TRUE(declared.has("help"));
    EXPECT_FALSE(declared.has("private"));
}

}  // namespace
}  // namespace lanchat::cli

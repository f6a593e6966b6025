#include "mentions.hpp"

#include <gtest/gtest.h>

namespace lanchat::client {
namespace {

TEST(MentionsTest, AnAtNameMentionsThatUserInAnyCaseAndAtAnyPlace) {
    EXPECT_TRUE(mentions("@alice look", "alice"));
    EXPECT_TRUE(mentions("look @Alice", "alice"));
    EXPECT_TRUE(mentions("thanks, @ALICE.", "alice"));
    EXPECT_TRUE(mentions("(@alice) and @bob", "alice"));
}

TEST(MentionsTest, OtherNamesAddressesAndNoAtAreNoMention) {
    EXPECT_FALSE(mentions("alice, look", "alice"));
    EXPECT_FALSE(mentions("@alice2 look", "alice"));
    EXPECT_FALSE(mentions("@alice.b look", "alice"));
    EXPECT_FALSE(mentions("@alice_b look", "alice"));
    EXPECT_FALSE(mentions("mail bob@alice.org", "alice"));
    EXPECT_FALSE(mentions("@alice", ""));
}

}  // namespace
}  // namespace lanchat::client

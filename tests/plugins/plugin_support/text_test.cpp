#include "text.hpp"

#include <gtest/gtest.h>

#include "lanchat/ids/random_id.hpp"
#include "stream_calls.hpp"

namespace lanchat::plugin_support {
namespace {

TEST(Utf8Test, AcceptsWellFormedAndRefusesTheRest) {
    EXPECT_TRUE(is_valid_utf8(""));
    EXPECT_TRUE(is_valid_utf8("plain ascii"));
    EXPECT_TRUE(is_valid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"));
    EXPECT_FALSE(is_valid_utf8("\xC3"));              // truncated
    EXPECT_FALSE(is_valid_utf8("\xC3\x28"));          // bad continuation
    EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));          // overlong '/'
    EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));      // surrogate
    EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // above U+10FFFF
    EXPECT_FALSE(is_valid_utf8("\xFF"));
}

TEST(Base64UrlTest, RoundTripsAndRefusesNonCanonicalText) {
    for (std::string bytes :
         {std::string(), std::string("f"), std::string("fo"), std::string("foo"), std::string("\xff\xfe\x00\x01", 4)}) {
        std::string decoded;
        ASSERT_TRUE(base64url_decode(base64url_encode(bytes), decoded));
        EXPECT_EQ(decoded, bytes);
    }
    EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
    std::string decoded;
    EXPECT_FALSE(base64url_decode("Zm9v=", decoded));  // padding
    EXPECT_FALSE(base64url_decode("Zm+v", decoded));   // the other alphabet
    EXPECT_FALSE(base64url_decode("Z", decoded));      // impossible length
    EXPECT_FALSE(base64url_decode("Zh", decoded));     // leftover bits set: "Zg" is the encoding of "f"
}

TEST(RandomTest, IdsAreFreshAndShaped) {
    std::string a = ids::random_id("u_"), b = ids::random_id("u_");
    EXPECT_EQ(a.size(), 18u);
    EXPECT_NE(a, b);
    EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(StreamCallsTest, ACancelBeforeTheHandlerRanIsNotLost) {
    StreamCalls calls;
    auto* call = reinterpret_cast<lanchat_rpc_call*>(0x1000);
    std::vector<uint64_t> unsubscribed;
    auto unsubscribe = [&](uint64_t id) { unsubscribed.push_back(id); };
    calls.cancelled(call, unsubscribe);
    bool subscribed = false;
    auto refused = calls.open(
        call,
        [&]() -> sdk::Result<uint64_t> {
            subscribed = true;
            return uint64_t{7};
        },
        unsubscribe);
    ASSERT_TRUE(refused.has_value());
    EXPECT_EQ(refused->code(), sdk::Code::cancelled);
    EXPECT_FALSE(subscribed);
    // The mark was consumed: the next call at that address subscribes, and its cancel drops it.
    EXPECT_FALSE(calls
                     .open(
                         call, [] { return sdk::Result<uint64_t>(uint64_t{8}); }, unsubscribe)
                     .has_value());
    calls.cancelled(call, unsubscribe);
    EXPECT_EQ(unsubscribed, std::vector<uint64_t>{8});
}

TEST(StreamCallsTest, ACancelDuringSubscribeUnsubscribes) {
    StreamCalls calls;
    auto* call = reinterpret_cast<lanchat_rpc_call*>(0x2000);
    std::vector<uint64_t> unsubscribed;
    auto unsubscribe = [&](uint64_t id) { unsubscribed.push_back(id); };
    auto refused = calls.open(
        call,
        [&]() -> sdk::Result<uint64_t> {
            calls.cancelled(call, unsubscribe);  // the client leaves while the subscription is being made
            return uint64_t{9};
        },
        unsubscribe);
    ASSERT_TRUE(refused.has_value());
    EXPECT_EQ(unsubscribed, std::vector<uint64_t>{9});
}

}  // namespace
}  // namespace lanchat::plugin_support

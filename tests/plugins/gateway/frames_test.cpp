#include "frames.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <initializer_list>
#include <string_view>

namespace lanchat::gateway {
namespace {

// What a piece of request reading refused with: code, then message ("" for both when it was accepted).
std::pair<std::string, std::string> refusal_of(const std::function<void()>& read) {
    try {
        read();
    } catch (const Refusal& refusal) {
        return {refusal.code, refusal.what()};
    }
    return {};
}

std::string code_of(const std::function<void()>& read) { return refusal_of(read).first; }

TEST(FramesTest, AFrameIsAJsonObjectWithAStringType) {
    std::string id;
    json frame = parse_frame(R"({"type":"send","id":"r1","body":"hi"})", id);
    EXPECT_EQ(frame["type"], "send");
    EXPECT_EQ(frame["body"], "hi");
    EXPECT_EQ(id, "r1");
}

TEST(FramesTest, TextThatIsNotAJsonObjectIsBadJson) {
    std::string id;
    EXPECT_EQ(refusal_of([&] { parse_frame("{\"type\":", id); }),
              std::make_pair(std::string("bad_json"), std::string("the frame is not valid JSON")));
    EXPECT_EQ(refusal_of([&] { parse_frame(R"(["send"])", id); }),
              std::make_pair(std::string("bad_json"), std::string("a frame must be a JSON object")));
}

TEST(FramesTest, AMissingTypeIsRefusedWithTheIdAlreadyKnown) {
    std::string id;
    EXPECT_EQ(refusal_of([&] { parse_frame(R"({"id":"r7"})", id); }),
              std::make_pair(std::string("bad_request"), std::string("field 'type' (a string) is required")));
    EXPECT_EQ(id, "r7");  // so the error answer carries it
    EXPECT_EQ(code_of([&] { parse_frame(R"({"type":3})", id); }), "bad_request");
}

TEST(FramesTest, TheIdIsAStringOfAtMost64BytesOrAbsent) {
    std::string id;
    EXPECT_EQ(code_of([&] { parse_frame(R"({"type":"ping","id":5})", id); }), "bad_request");
    EXPECT_EQ(code_of([&] { parse_frame(R"({"type":"ping","id":")" + std::string(65, 'x') + "\"}", id); }),
              "bad_request");
    EXPECT_EQ(id, "");
    parse_frame(R"({"type":"ping","id":")" + std::string(64, 'x') + "\"}", id);
    EXPECT_EQ(id, std::string(64, 'x'));
    std::string none;
    parse_frame(R"({"type":"ping","id":null})", none);
    EXPECT_EQ(none, "");
}

TEST(FramesTest, TextFieldsAreRequiredUnlessSaidOtherwiseAndNullIsAbsent) {
    json frame = {{"name", "general"}, {"topic", nullptr}};
    Fields fields(frame);
    EXPECT_EQ(fields.text("name", 64), "general");
    EXPECT_EQ(fields.text("topic", 64, false), "");
    EXPECT_EQ(fields.optional_text("topic", 64), std::nullopt);
    EXPECT_EQ(refusal_of([&] { fields.text("topic", 64); }),
              std::make_pair(std::string("bad_request"), std::string("field 'topic' is required")));
}

TEST(FramesTest, ATextFieldOfAnotherTypeIsABadRequestAndAnOverlongOneIsTooLarge) {
    json frame = {{"name", 42}, {"body", "hello"}};
    Fields fields(frame);
    EXPECT_EQ(refusal_of([&] { fields.text("name", 64); }),
              std::make_pair(std::string("bad_request"), std::string("field 'name' must be a string")));
    EXPECT_EQ(refusal_of([&] { fields.text("body", 4); }),
              std::make_pair(std::string("too_large"), std::string("field 'body' is 5 bytes; at most 4")));
    EXPECT_EQ(fields.text("body", 5), "hello");
}

TEST(FramesTest, SequencesAreNonNegativeIntegers) {
    json frame = {{"zero", 0}, {"big", 18446744073709551615ull}, {"negative", -1}, {"fraction", 1.5}, {"text", "3"}};
    Fields fields(frame);
    EXPECT_EQ(fields.sequence("zero"), 0u);
    EXPECT_EQ(fields.sequence("big"), 18446744073709551615ull);
    for (const char* name : {"negative", "fraction", "text"}) {
        EXPECT_EQ(refusal_of([&] { fields.sequence(name); }),
                  std::make_pair(std::string("bad_request"),
                                 std::string("field '") + name + "' must be a non-negative integer"));
    }
    EXPECT_EQ(fields.optional_sequence("absent"), std::nullopt);
    EXPECT_EQ(refusal_of([&] { fields.sequence("absent"); }).second, "field 'absent' is required");
}

TEST(FramesTest, AFlagIsTrueOrFalseAndAbsentMeansFalse) {
    json frame = {{"yes", true}, {"word", "true"}};
    Fields fields(frame);
    EXPECT_TRUE(fields.flag("yes"));
    EXPECT_FALSE(fields.flag("absent"));
    EXPECT_EQ(refusal_of([&] { fields.flag("word"); }),
              std::make_pair(std::string("bad_request"), std::string("field 'word' must be true or false")));
}

TEST(FramesTest, AnIdListIsARequiredArrayOfShortStringsWithAMaximumCount) {
    json frame = {{"ids", {"u_1", "u_2"}}, {"mixed", {"u_1", 2}}, {"long", {std::string(65, 'u')}}, {"one", "u_1"}};
    Fields fields(frame);
    EXPECT_EQ(fields.id_list("ids", 2), (std::vector<std::string>{"u_1", "u_2"}));
    EXPECT_EQ(refusal_of([&] { fields.id_list("ids", 1); }),
              std::make_pair(std::string("too_large"), std::string("field 'ids' has 2 items; at most 1")));
    EXPECT_EQ(code_of([&] { fields.id_list("absent", 10); }), "bad_request");
    EXPECT_EQ(code_of([&] { fields.id_list("one", 10); }), "bad_request");
    EXPECT_EQ(code_of([&] { fields.id_list("mixed", 10); }), "bad_request");
    EXPECT_EQ(code_of([&] { fields.id_list("long", 10); }), "bad_request");
}

TEST(FramesTest, PositionsMapChannelIdsToSequencesAndMayBeAbsent) {
    json frame = {{"resume", {{"c_1", 12}, {"c_2", 0}}}, {"negative", {{"c_1", -3}}}, {"list", {1, 2}}};
    Fields fields(frame);
    EXPECT_EQ(fields.positions("resume"), (std::map<std::string, uint64_t>{{"c_1", 12}, {"c_2", 0}}));
    EXPECT_TRUE(fields.positions("absent").empty());
    EXPECT_EQ(code_of([&] { fields.positions("negative"); }), "bad_request");
    EXPECT_EQ(code_of([&] { fields.positions("list"); }), "bad_request");
}

TEST(FramesTest, PositionsNameAtMostKMaxPositionsChannels) {
    json resume = json::object();
    for (size_t i = 0; i < kMaxPositions; ++i) resume["c_" + std::to_string(i)] = 0;
    json frame = {{"resume", resume}};
    EXPECT_EQ(Fields(frame).positions("resume").size(), kMaxPositions);
    frame["resume"]["c_one_more"] = 0;
    EXPECT_EQ(refusal_of([&] { Fields(frame).positions("resume"); }),
              std::make_pair(std::string("too_large"), std::string("field 'resume' names more than 1000 channels")));
}

TEST(FramesTest, AnOkFrameCarriesTheResultAndTheRequestId) {
    EXPECT_EQ(json::parse(ok_frame("r1", {{"sequence", 4}})), (json{{"type", "ok"}, {"id", "r1"}, {"sequence", 4}}));
    EXPECT_EQ(json::parse(ok_frame("", json::array())), (json{{"type", "ok"}}));  // no id, no non-object result
}

TEST(FramesTest, AnErrorFrameCarriesCodeMessageAndTheRequestIdWhenThereIsOne) {
    EXPECT_EQ(json::parse(error_frame("r2", "not_member", "join first")),
              (json{{"type", "error"}, {"id", "r2"}, {"code", "not_member"}, {"message", "join first"}}));
    EXPECT_FALSE(json::parse(error_frame("", "bad_json", "x")).contains("id"));
}

TEST(FramesTest, InvalidUtf8InAFrameGoingOutIsReplacedRatherThanThrown) {
    json sent = json::parse(ok_frame("r1", {{"body", "caf\xff"}}));
    EXPECT_EQ(sent["body"], "caf\xef\xbf\xbd");
    EXPECT_EQ(json::parse(error_frame("r1", "internal", "bad \xc3"))["message"], "bad \xef\xbf\xbd");
}

// One failure the gateway turns into a protocol error code: the service's status, the context it came
// from ("" when none), and the code the client is sent.
struct CodeCase {
    sdk::Code code;
    std::string_view message;
    std::string_view context;
    std::string_view expected;
};

void expect_codes(std::initializer_list<CodeCase> cases) {
    for (const auto& c : cases) {
        EXPECT_EQ(error_code_of({c.code, std::string(c.message)}, std::string(c.context)), c.expected) << c.message;
    }
}

TEST(FramesTest, LoginFailuresMapToTheCodeTheirMessageNames) {
    using sdk::Code;
    expect_codes({
        {Code::unauthenticated, "invalid username or password", "auth", "auth_failed"},
        {Code::unauthenticated, "the token has expired", "auth", "token_expired"},
        {Code::unauthenticated, "bound to another device", "auth", "wrong_device"},
        {Code::unauthenticated, "bad signature", "auth", "token_invalid"},
        {Code::resource_exhausted, "retry in 2 s", "auth", "throttled"},
        {Code::resource_exhausted, "too many sends", "", "rate_limited"},
    });
}

TEST(FramesTest, ServiceFailuresMapToTheProtocolsStableCodes) {
    using sdk::Code;
    expect_codes({
        {Code::permission_denied, "you are not a member of c_1", "", "not_member"},
        {Code::permission_denied, "only the owner", "", "forbidden"},
        {Code::not_found, "no channel", "", "not_found"},
        {Code::already_exists, "taken", "", "conflict"},
        {Code::failed_precondition, "archived", "", "conflict"},
        {Code::out_of_range, "no such page", "", "out_of_range"},
        {Code::invalid_argument, "body is 5000 bytes; at most 4000", "", "too_large"},
        {Code::invalid_argument, "body is not UTF-8 (5 bytes)", "", "invalid_body"},
        {Code::invalid_argument, "body is empty", "", "invalid_body"},
        {Code::invalid_argument, "channel id malformed", "", "bad_request"},
        {Code::unavailable, "router down", "", "unavailable"},
        {Code::deadline_exceeded, "slow", "", "unavailable"},
        {Code::internal, "oops", "", "internal"},
    });
}

TEST(FramesTest, AFullDiskIsUnavailableEvenForALoginNeverRateLimitedOrThrottled) {
    using sdk::Code;
    expect_codes({
        {Code::resource_exhausted, "channel store: commit: the server's disk is full; nothing was stored", "",
         "unavailable"},
        {Code::resource_exhausted, "auth store: keep a refresh token: the server's disk is full", "auth",
         "unavailable"},
    });
}

TEST(FramesTest, AMessageEventIsNamedAsTheProtocolNamesIt) {
    channel::v1::Message message;
    message.set_channel_id("c_1");
    message.set_sequence(9);
    message.set_event(channel::v1::Message::EDITED);
    message.set_target_sequence(4);
    json frame = message_json(message);
    EXPECT_EQ(frame["type"], "message");
    EXPECT_EQ(frame["event"], "edited");
    EXPECT_EQ(frame["target_sequence"], 4);
    EXPECT_EQ(status_name(presence::v1::DO_NOT_DISTURB), std::string("dnd"));
}

}  // namespace
}  // namespace lanchat::gateway

#include "admin/request_origin.hpp"

#include <gtest/gtest.h>

namespace lanchat::host::admin {
namespace {

TEST(RequestOriginTest, LoopbackMeansALoopbackAddressNotANameThatLooksLikeOne) {
    EXPECT_TRUE(is_loopback("127.0.0.1:9464"));
    EXPECT_TRUE(is_loopback("127.3.4.5:1"));
    EXPECT_TRUE(is_loopback("[::1]:9464"));
    EXPECT_TRUE(is_loopback("localhost:9464"));
    EXPECT_FALSE(is_loopback("127.evil.example:9464"));
    EXPECT_FALSE(is_loopback("10.0.0.1:9464"));
    EXPECT_FALSE(is_loopback("0.0.0.0:9464"));
    EXPECT_FALSE(is_loopback("not an address"));
}

TEST(RequestOriginTest, OperatorsToolsPassAndPagesAreRefused) {
    const char* bound = "127.0.0.1:9464";
    EXPECT_EQ(foreign_request("127.0.0.1:9464", "", bound, false), std::nullopt);
    EXPECT_EQ(foreign_request("localhost:9464", "", bound, false), std::nullopt);
    EXPECT_EQ(foreign_request("", "", bound, false), std::nullopt);  // HTTP/1.0 tools send no Host
    EXPECT_EQ(foreign_request("127.0.0.1:9464", "http://127.0.0.1:9464", bound, false), std::nullopt);
    EXPECT_NE(foreign_request("rebound.example:9464", "", bound, false), std::nullopt);
    EXPECT_NE(foreign_request("127.0.0.1", "", bound, false), std::nullopt);  // port 80
    EXPECT_NE(foreign_request("127.0.0.1:9464", "http://rebound.example", bound, false), std::nullopt);
    EXPECT_NE(foreign_request("127.0.0.1:9464", "null", bound, false), std::nullopt);
    EXPECT_NE(foreign_request("", "http://127.0.0.1:9464", bound, false), std::nullopt);
    // Over HTTPS an operator certificate is required anyway; a foreign Origin is still refused.
    EXPECT_EQ(foreign_request("admin.lan:9464", "", "10.0.0.2:9464", true), std::nullopt);
    EXPECT_NE(foreign_request("admin.lan:9464", "https://elsewhere.lan", "10.0.0.2:9464", true), std::nullopt);
}

}  // namespace
}  // namespace lanchat::host::admin

#include "lanchat/url/url.hpp"

#include <gtest/gtest.h>

namespace lanchat::url {
namespace {

TEST(HostPortTest, AcceptsANameAnIpv4AndABracketedIpv6Address) {
    auto name = parse_host_port("localhost:9464");
    ASSERT_TRUE(name.ok()) << name.status().message();
    EXPECT_EQ(name->host, "localhost");
    EXPECT_EQ(name->port, "9464");
    auto v4 = parse_host_port("127.0.0.1:0");
    ASSERT_TRUE(v4.ok());
    EXPECT_EQ(v4->host, "127.0.0.1");
    EXPECT_EQ(v4->port, "0");
    auto v6 = parse_host_port("[::1]:7443");
    ASSERT_TRUE(v6.ok()) << v6.status().message();
    EXPECT_EQ(v6->host, "::1");
    EXPECT_EQ(v6->port, "7443");
}

TEST(HostPortTest, RefusesAMissingPartWithAMessageNamingIt) {
    EXPECT_EQ(parse_host_port("127.0.0.1").status().message(), "'127.0.0.1' has no port");
    EXPECT_EQ(parse_host_port("127.0.0.1:").status().message(), "'127.0.0.1:' has no port");
    EXPECT_EQ(parse_host_port(":8443").status().message(), "':8443' has no host");
    EXPECT_EQ(parse_host_port("host:70000").status().message(), "'host:70000' has port 70000, above 65535");
    EXPECT_EQ(parse_host_port("alice@host:1").status().message(),
              "'alice@host:1' has user information; give host:port only");
}

TEST(HostPortTest, RefusesWhatIsNotAnAuthority) {
    for (const char* text : {"host:http", "::1:7443", "a b:1", "host:1/path"}) {
        auto parsed = parse_host_port(text);
        ASSERT_FALSE(parsed.ok()) << text;
        EXPECT_EQ(parsed.status().code(), sdk::Code::invalid_argument);
        EXPECT_EQ(parsed.status().message().rfind("'" + std::string(text) + "' is not host:port (", 0), 0u)
            << parsed.status().message();
    }
}

TEST(UrlTest, SplitsSchemeServerAndPath) {
    auto admin = parse_url("http://127.0.0.1:9464", {"http", "https"});
    ASSERT_TRUE(admin.ok()) << admin.status().message();
    EXPECT_EQ(admin->scheme, "http");
    EXPECT_EQ(admin->server.host, "127.0.0.1");
    EXPECT_EQ(admin->server.port, "9464");
    EXPECT_EQ(admin->path, "/");
    auto socket = parse_url("WSS://[::1]:8443/ws", {"wss"});
    ASSERT_TRUE(socket.ok()) << socket.status().message();
    EXPECT_EQ(socket->scheme, "wss");
    EXPECT_EQ(socket->server.host, "::1");
    EXPECT_EQ(socket->path, "/ws");
}

TEST(UrlTest, RefusesOtherSchemesMissingPortsAndQueries) {
    EXPECT_EQ(parse_url("ftp://h:1", {"http", "https"}).status().message(),
              "'ftp://h:1' does not start with http:// or https://");
    EXPECT_EQ(parse_url("http://h", {"http"}).status().message(), "'http://h' has no port");
    EXPECT_EQ(parse_url("http:/h:1", {"http"}).status().message(), "'http:/h:1' has no host:port after http://");
    EXPECT_EQ(parse_url("http://h:1/?x=1", {"http"}).status().message(),
              "'http://h:1/?x=1' has a query or fragment; give scheme://host:port/path only");
    EXPECT_EQ(parse_url("127.0.0.1:9464", {"http"}).status().code(), sdk::Code::invalid_argument);
}

}  // namespace
}  // namespace lanchat::url

// Addresses as people write them in node files and on command lines: "host:port" for listeners and
// servers, "scheme://host:port/path" for endpoints. Parsed by Boost.URL (RFC 3986), so an IPv6 literal is
// written in brackets ("[::1]:7443") and comes back without them.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include "lanchat/sdk/status.hpp"

namespace lanchat::url {

struct HostPort {
    std::string host;  // a name or an IP literal, IPv6 without brackets
    std::string port;  // decimal digits, 0 to 65535
};

// "host:port" or "[v6]:port". Refused, with invalid_argument saying which part is wrong: a missing or
// empty host, a missing, empty, non-numeric or too large port, user information ("user@host:port"), and
// anything else that is not an RFC 3986 authority.
sdk::Result<HostPort> parse_host_port(std::string_view text);

struct Url {
    std::string scheme;  // lower case, one of the schemes asked for
    HostPort server;
    std::string path;  // "/" when the URL has none
};

// "scheme://host:port[/path]" whose scheme is one of `schemes` (compared without case). The port is
// required; a query, fragment or user information is refused.
sdk::Result<Url> parse_url(std::string_view text, std::initializer_list<std::string_view> schemes);

}  // namespace lanchat::url

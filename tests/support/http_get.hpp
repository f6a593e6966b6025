// A bare HTTP/1.0 request over loopback, for tests that must see status codes and bodies exactly.
#pragma once

#include <string>

namespace lanchat::testing {

struct HttpReply {
    int status = 0;  // 0: no connection or no HTTP answer
    std::string body;
};

// `address` is "host:port" (IPv4 loopback).
HttpReply http_request(const std::string& address, const std::string& method, const std::string& path);

}  // namespace lanchat::testing

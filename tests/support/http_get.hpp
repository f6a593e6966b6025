// One HTTP request over loopback, for tests that must see status codes and bodies exactly; the
// lanchat::http_client library does the work.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace lanchat::testing {

struct HttpReply {
    int status = 0;  // 0: no connection or no HTTP answer
    std::string body;
};

// `address` is "host:port", "[v6]:port" or "http://host:port"; `headers` are sent after the usual ones
// (a "Host" among them replaces the default).
HttpReply http_request(const std::string& address, const std::string& method, const std::string& path,
                       const std::vector<std::pair<std::string, std::string>>& headers = {});

}  // namespace lanchat::testing

// AdminClient: one HTTP(S) request to a node's admin endpoint, with the operator's client certificate
// for HTTPS, through lanchat::http_client.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "lanchat/sdk/status.hpp"

namespace lanchat::ctl {

struct AdminTarget {
    std::string url = "http://127.0.0.1:9464";  // http://host:port or https://host:port
    std::filesystem::path ca;                   // HTTPS: the PKI's ca.crt
    std::filesystem::path certificate;          // HTTPS: an operator certificate
    std::filesystem::path key;
};

struct AdminReply {
    unsigned status = 0;
    std::string body;
};

// Fails with a message that says what to check: unreachable, refused certificate, bad URL.
sdk::Result<AdminReply> admin_request(const AdminTarget& target, const std::string& method, const std::string& path);

}  // namespace lanchat::ctl

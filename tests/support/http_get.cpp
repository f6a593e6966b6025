#include "http_get.hpp"

#include "lanchat/http_client/http_client.hpp"
#include "lanchat/url/url.hpp"

namespace lanchat::testing {
namespace {

sdk::Result<url::HostPort> server_of(const std::string& address) {
    if (address.find("://") == std::string::npos) return url::parse_host_port(address);
    auto parsed = url::parse_url(address, {"http"});
    if (!parsed.ok()) return parsed.status();
    return parsed->server;
}

}  // namespace

HttpReply http_request(const std::string& address, const std::string& method, const std::string& path,
                       const std::vector<std::pair<std::string, std::string>>& headers) {
    auto server = server_of(address);
    if (!server.ok()) return {};
    http_client::Request request;
    request.method = method;
    request.target = path;
    request.user_agent = "lanchat-tests";
    request.headers = headers;
    auto outcome = http_client::send({server->host, server->port, std::nullopt}, request);
    const auto* response = std::get_if<http_client::Response>(&outcome);
    if (response == nullptr) return {};
    return {static_cast<int>(response->status), response->body};
}

}  // namespace lanchat::testing

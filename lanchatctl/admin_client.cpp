#include "admin_client.hpp"

#include "lanchat/http_client/http_client.hpp"
#include "lanchat/url/url.hpp"

namespace lanchat::ctl {
namespace {

// The failure in words an operator can act on: what did not work, and what to check.
sdk::Status explain(const http_client::Failure& failure, const AdminTarget& target) {
    const std::string where = "the admin endpoint at " + target.url;
    switch (failure.stage) {
        case http_client::Stage::resolve: return sdk::unavailable("cannot resolve " + where + ": " + failure.reason);
        case http_client::Stage::connect: {
            std::string hint =
                target.url.rfind("http://", 0) == 0 ? " (is lanchatd running with an [admin] table?)" : "";
            return sdk::unavailable("cannot reach " + where + ": " + failure.reason + hint);
        }
        case http_client::Stage::tls_setup:
            return sdk::invalid_argument("cannot load the TLS files for " + where + ": " + failure.reason + " (check " +
                                         target.ca.string() + ", " + target.certificate.string() + " and " +
                                         target.key.string() + ")");
        case http_client::Stage::tls_handshake:
            return sdk::Status(sdk::Code::unauthenticated,
                               "the node at " + target.url + " refused the TLS handshake: " + failure.reason + " (is " +
                                   target.certificate.string() + " an operator certificate from its PKI?)");
        case http_client::Stage::exchange: break;
    }
    return sdk::unavailable("talking to " + where + " failed: " + failure.reason);
}

}  // namespace

sdk::Result<AdminReply> admin_request(const AdminTarget& target, const std::string& method, const std::string& path) {
    auto url = url::parse_url(target.url, {"http", "https"});
    if (!url.ok()) {
        return sdk::invalid_argument("admin URL '" + target.url + "' must be http://host:port or https://host:port (" +
                                     url.status().message() + ")");
    }
    http_client::Server server{url->server.host, url->server.port, std::nullopt};
    if (url->scheme == "https") {
        if (target.certificate.empty() || target.ca.empty()) {
            return sdk::invalid_argument("the admin endpoint at " + target.url +
                                         " is HTTPS: give --pki DIR --operator NAME (or --ca, --cert, --key)");
        }
        server.tls = http_client::TlsFiles{target.ca, target.certificate, target.key};
    }
    http_client::Request request;
    request.method = method;
    request.target = path;
    request.user_agent = "lanchatctl";
    auto outcome = http_client::send(server, request);
    if (const auto* failure = std::get_if<http_client::Failure>(&outcome)) return explain(*failure, target);
    const auto& response = std::get<http_client::Response>(outcome);
    return AdminReply{response.status, response.body};
}

}  // namespace lanchat::ctl

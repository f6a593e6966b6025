#include "admin/request_origin.hpp"

#include <boost/asio/ip/address.hpp>

#include "lanchat/url/url.hpp"

namespace lanchat::host::admin {
namespace {

bool is_loopback_host(const std::string& host) {
    if (host == "localhost") return true;
    boost::system::error_code error;
    boost::asio::ip::address address = boost::asio::ip::make_address(host, error);
    return !error && address.is_loopback();
}

std::string port_of(std::string_view bound) {
    auto parsed = url::parse_host_port(bound);
    return parsed.ok() ? parsed->port : std::string();
}

}  // namespace

bool is_loopback(std::string_view listen) {
    auto parsed = url::parse_host_port(listen);
    return parsed.ok() && is_loopback_host(parsed->host);
}

std::optional<std::string> foreign_request(std::string_view host, std::string_view origin, std::string_view bound,
                                           bool https) {
    if (!https && !host.empty()) {
        auto parsed = url::parse_host_port(host);
        // A Host without a port means port 80, which is never this endpoint's unless it is bound there.
        const std::string port = parsed.ok() ? parsed->port : "80";
        const std::string name = parsed.ok() ? parsed->host : std::string(host);
        if (!is_loopback_host(name) || port != port_of(bound)) {
            return "Host '" + std::string(host) + "' is not this endpoint (" + std::string(bound) +
                   "): the admin endpoint answers only requests addressed to its loopback address";
        }
    }
    if (!origin.empty()) {
        const std::string own = (https ? "https://" : "http://") + std::string(host);
        if (host.empty() || origin != own) {
            return "Origin '" + std::string(origin) +
                   "' is a web page of another site; the admin endpoint answers operators' tools, not pages";
        }
    }
    return std::nullopt;
}

}  // namespace lanchat::host::admin

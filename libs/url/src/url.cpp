#include "lanchat/url/url.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <algorithm>
#include <cctype>

namespace lanchat::url {
namespace {

namespace urls = boost::urls;

std::string quoted(std::string_view text) { return "'" + std::string(text) + "'"; }

// What authority_view and url_view share: host and port, checked the same way for both.
template <class View>
sdk::Result<HostPort> host_port_of(const View& view, std::string_view text) {
    if (view.has_userinfo()) return sdk::invalid_argument(quoted(text) + " has user information; give host:port only");
    std::string host = view.host_address();
    if (host.empty()) return sdk::invalid_argument(quoted(text) + " has no host");
    if (!view.has_port() || view.port().empty()) return sdk::invalid_argument(quoted(text) + " has no port");
    std::string port = view.port();
    if (port.size() > 5 || std::stoul(port) > 65535) {
        return sdk::invalid_argument(quoted(text) + " has port " + port + ", above 65535");
    }
    return HostPort{std::move(host), std::move(port)};
}

bool same_scheme(std::string_view a, std::string_view b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
        return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
    });
}

std::string scheme_list(std::initializer_list<std::string_view> schemes) {
    std::string list;
    for (std::string_view scheme : schemes) list += (list.empty() ? "" : " or ") + std::string(scheme) + "://";
    return list;
}

}  // namespace

sdk::Result<HostPort> parse_host_port(std::string_view text) {
    auto parsed = urls::parse_authority(text);
    if (!parsed) return sdk::invalid_argument(quoted(text) + " is not host:port (" + parsed.error().message() + ")");
    return host_port_of(*parsed, text);
}

sdk::Result<Url> parse_url(std::string_view text, std::initializer_list<std::string_view> schemes) {
    auto parsed = urls::parse_uri(text);
    if (!parsed) return sdk::invalid_argument(quoted(text) + " is not a URL (" + parsed.error().message() + ")");
    const urls::url_view& view = *parsed;
    auto wanted = std::find_if(schemes.begin(), schemes.end(),
                               [&view](std::string_view scheme) { return same_scheme(view.scheme(), scheme); });
    if (wanted == schemes.end()) {
        return sdk::invalid_argument(quoted(text) + " does not start with " + scheme_list(schemes));
    }
    if (!view.has_authority())
        return sdk::invalid_argument(quoted(text) + " has no host:port after " + std::string(*wanted) + "://");
    if (view.has_query() || view.has_fragment()) {
        return sdk::invalid_argument(quoted(text) + " has a query or fragment; give scheme://host:port/path only");
    }
    auto server = host_port_of(view, text);
    if (!server.ok()) return server.status();
    std::string path = view.path();
    return Url{std::string(*wanted), std::move(*server), path.empty() ? "/" : path};
}

}  // namespace lanchat::url

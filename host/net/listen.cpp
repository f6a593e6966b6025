#include "net/listen.hpp"

#include "lanchat/url/url.hpp"

namespace lanchat::host::net {
using boost::asio::ip::tcp;

sdk::Status listen_on(tcp::acceptor& acceptor, const std::string& listen, const std::string& setting) {
    auto address = url::parse_host_port(listen);
    if (!address.ok()) {
        return sdk::invalid_argument(setting + " = \"" + listen +
                                     "\" must be host:port: " + address.status().message());
    }
    boost::system::error_code error;
    tcp::resolver resolver(acceptor.get_executor());
    auto endpoints = resolver.resolve(address->host, address->port, tcp::resolver::numeric_service, error);
    if (error || endpoints.empty()) return sdk::invalid_argument(setting + " = \"" + listen + "\": " + error.message());
    tcp::endpoint endpoint = *endpoints.begin();
    acceptor.open(endpoint.protocol(), error);
    if (!error) acceptor.set_option(boost::asio::socket_base::reuse_address(true), error);
    if (!error) acceptor.bind(endpoint, error);
    if (!error) acceptor.listen(boost::asio::socket_base::max_listen_connections, error);
    if (error) return sdk::unavailable("cannot listen on " + listen + " (" + setting + "): " + error.message());
    return {};
}

std::string endpoint_text(const tcp::endpoint& endpoint) {
    const auto address = endpoint.address();
    return (address.is_v6() ? "[" + address.to_string() + "]" : address.to_string()) + ":" +
           std::to_string(endpoint.port());
}

}  // namespace lanchat::host::net

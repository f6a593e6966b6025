#include "net/listen.hpp"

namespace lanchat::host::net {
using boost::asio::ip::tcp;

sdk::Status listen_on(tcp::acceptor& acceptor, const std::string& listen, const std::string& setting) {
    size_t colon = listen.rfind(':');
    if (colon == std::string::npos) return sdk::invalid_argument(setting + " = \"" + listen + "\" must be host:port");
    std::string host = listen.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
    boost::system::error_code error;
    tcp::resolver resolver(acceptor.get_executor());
    auto endpoints = resolver.resolve(host, listen.substr(colon + 1), tcp::resolver::numeric_service, error);
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
    return (address.is_v6() ? "[" + address.to_string() + "]" : address.to_string()) + ":" + std::to_string(endpoint.port());
}

}  // namespace lanchat::host::net

// Binding a TCP listener from a "host:port" setting, shared by the admin endpoint and the client edge.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <string>

#include "lanchat/sdk/status.hpp"

namespace lanchat::host::net {

// Opens, binds and listens `acceptor` on `listen` ("host:port", "[v6]:port"; port 0 picks a free one).
// `setting` names the config key in messages, e.g. "[admin] listen".
sdk::Status listen_on(boost::asio::ip::tcp::acceptor& acceptor, const std::string& listen, const std::string& setting);

// "ip:port", with brackets around an IPv6 address.
std::string endpoint_text(const boost::asio::ip::tcp::endpoint& endpoint);

}  // namespace lanchat::host::net

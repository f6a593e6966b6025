// The client edge's TLS server context: the node's certificate, TLS 1.2 and newer, an optional client
// certificate that must verify against the CA and pass the node's revocation check when one is sent, and no TLS
// buffers kept while idle.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <filesystem>
#include <memory>

#include "config/node_config.hpp"
#include "host_fwd.hpp"
#include "lanchat/sdk/status.hpp"

namespace lanchat::host::edge {

// Errors name the `[client_edge]` key and the file that could not be used.
sdk::Status configure_server_tls(boost::asio::ssl::context& tls, const ClientEdgeConfig& config,
                                 const std::filesystem::path& ca, std::shared_ptr<net::Revocations> revocations);

}  // namespace lanchat::host::edge

// The client edge's network half: HTTPS and WebSocket over TLS. TLS is OpenSSL on the socket itself
// (tls_transport.hpp), the WebSocket framing is ours (ws_frames.hpp), Beast parses the HTTP requests (kept to
// the .cpp files and the two headers that name its request type). Every accepted connection lives on one of
// `threads` event loops, whose Sweep keeps its deadlines; what arrives goes to the Dispatcher, which hands it
// to the plugin that handles the edge.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "config/node_config.hpp"
#include "host_fwd.hpp"
#include "lanchat/sdk/status.hpp"

namespace lanchat::host::edge {

class Dispatcher;

class Listener {
public:
    // Binds `config.listen` and starts serving; `ca` and `revocations` check optional client (device)
    // certificates.
    static sdk::Result<std::unique_ptr<Listener>> start(const ClientEdgeConfig& config, const std::filesystem::path& ca,
                                                        std::shared_ptr<net::Revocations> revocations,
                                                        Dispatcher& dispatcher, metrics::Registry& metrics,
                                                        NodeLog& log);
    ~Listener();  // stops accepting, ends every connection, joins the threads

    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;

    const std::string& address() const;  // "host:port" as bound

    struct Impl;

private:
    explicit Listener(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace lanchat::host::edge

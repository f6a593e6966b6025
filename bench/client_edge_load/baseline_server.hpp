// The baseline the client-edge figures stand beside: a WebSocket/TLS server that answers "auth" with ok and
// broadcasts every other text message to every connection. No protocol, no services: the transport and
// nothing else. Run as its own process (`client_edge_load --baseline-server CERT KEY`), like the node.
#pragma once

#include <string>

namespace lanchat::bench::edge {

// Prints "baseline listening 127.0.0.1:PORT" once listening, then serves until killed.
int run_baseline_server(const std::string& certificate, const std::string& key);

}  // namespace lanchat::bench::edge

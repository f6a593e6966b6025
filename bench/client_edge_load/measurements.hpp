// The three measurements of client_edge_load, each printing its section of the report: the node's figures
// beside the baseline's, from the same generator in the same run.
#pragma once

#include <string>

#include "generator.hpp"

namespace lanchat::bench::edge {

// The two servers measured side by side and the auth frame each accepts.
struct Targets {
    Target lanchat;
    Target baseline;
    std::string node_auth;      // a real token of the benchmark's user
    std::string baseline_auth;  // anything the baseline recognises as "auth"
    const std::string& auth_for(const Target& target) const { return target.node ? node_auth : baseline_auth; }
};

// WebSocket/TLS connects + auth per second, beside bare TLS handshakes per second on the same port.
void measure_connection_setup(Generator& generator, const Targets& targets);

// `idle` authenticated connections held: resident memory per connection, CPU while idle.
void measure_connections_held(Generator& generator, const Targets& targets, int idle);

// One channel with `members` connected members and a sender at rising rates, `seconds` per rate: deliveries
// per second at saturation, latency at half that rate. False (said on stderr) when it could not be set up.
bool measure_fan_out(Generator& generator, const Targets& targets, int members, int seconds);

}  // namespace lanchat::bench::edge

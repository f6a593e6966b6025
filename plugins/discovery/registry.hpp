// Registry: the live membership of the mesh — nodes, their addresses and services — kept fresh by
// heartbeats and forgetting a node not heard from within the time-to-live.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "lanchat/discovery/v1/discovery.pb.h"
#include "lanchat/sdk/status.hpp"

namespace lanchat::discovery {

class Registry {
public:
    using Clock = std::chrono::system_clock;

    explicit Registry(std::chrono::milliseconds ttl) : ttl_(ttl) {}

    // Records `node` as seen now. `peer` is the caller's SPIFFE ID: a node registers only itself.
    sdk::Status register_node(const std::string& peer, v1::Node node, Clock::time_point now);
    std::vector<v1::Node> live_nodes(Clock::time_point now);
    std::vector<std::string> resolve(const std::string& service, Clock::time_point now);

    // Hot-reload hand-off: the membership as bytes, and back.
    std::string export_state();
    sdk::Status import_state(const std::string& bytes);

    std::chrono::milliseconds ttl() const { return ttl_; }

private:
    void forget_expired(Clock::time_point now);

    std::chrono::milliseconds ttl_;
    std::mutex mutex_;
    std::map<std::string, v1::Node> nodes_;  // by node id
};

}  // namespace lanchat::discovery

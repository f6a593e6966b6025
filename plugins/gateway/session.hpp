// One client connection as the gateway knows it: who it is once authenticated, its rate limit, and the
// presence it watches (its deliveries are the edge's: edge_feeds.hpp).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "lanchat/auth/v1/auth.pb.h"
#include "lanchat/channel/v1/channel.pb.h"
#include "lanchat/plugin_abi.h"
#include "lanchat/sdk/client_edge.hpp"
#include "rate_limiter.hpp"
#include "requests_in_flight.hpp"

namespace lanchat::gateway {

// The address part of a peer "ip:port" or "[v6]:port". Auth slows failed logins down per source, and every
// new TCP connection has a fresh port: keyed by address and port, password spraying across accounts from
// one machine would never be slowed.
std::string address_of(std::string_view peer);

// The users whose presence a connection watches, and the one Presence stream that carries them all.
struct PresenceWatch {
    std::unordered_map<std::string, size_t> users;  // user id -> digest of the presence last sent for them
    lanchat_rpc_stream_id stream = 0;
    uint64_t generation = 0;  // of `stream`: what an older stream brings is dropped
};

// The mutex guards everything below it: callbacks from the host's edge threads, RPC answers and timers all
// reach a session.
struct Session {
    Session(const sdk::Connection& connection, double rate_per_second, double burst, int64_t now_ms,
            size_t max_requests_in_flight = 16);

    const sdk::ConnectionId id;
    const std::string peer_address;
    const std::string device_fingerprint;
    const int64_t opened_ms;
    RequestsInFlight requests;  // thread-safe on its own

    std::mutex mutex;
    bool open = true;
    bool authenticated = false;
    std::string user_id, username;
    std::vector<std::string> roles;
    int64_t expires_ms = 0;
    std::string token_id;  // the access token's id: what a logout revokes and the recheck asks about
    // The access token's device claim (empty: bound to no device): the recheck asks whether that device is
    // still the user's, not about whatever certificate this connection shows.
    std::string token_device;
    RateLimiter rate_limiter;
    PresenceWatch watch;

    // The user as Channel's requests name them.
    channel::v1::Actor actor();
    std::string user();
    // Who this connection is, as Auth's Logout and Recheck name a session.
    auth::v1::Session auth_session();
    // One frame's cost against the rate limit (now); false when the client is over it.
    bool take_token();
    bool flooding();
};

}  // namespace lanchat::gateway

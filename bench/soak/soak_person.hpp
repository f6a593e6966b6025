// One person of the soak: sessions one after another until the deadline, each a login (password or refresh
// token), a subscribe resumed from the last sequence they had, then a random mix of sends, history reads,
// presence, typing and look-ups at a steady pace, and a disconnect; what failed is counted in a Tally.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "edge_client.hpp"

namespace lanchat::bench::soak {

using Clock = std::chrono::steady_clock;

// What every person adds to while the soak runs.
struct Tally {
    std::atomic<uint64_t> answered{0};   // requests answered ok
    std::atomic<uint64_t> failed{0};     // requests that should have succeeded and did not
    std::atomic<uint64_t> retried{0};    // `unavailable` while the gateway reloaded, then retried as told
    std::atomic<uint64_t> sessions{0};   // connections, each with a login and a resumed subscribe
    std::atomic<uint64_t> cut{0};        // sessions the gateway's reload ended (1001): resumed on a new one
    std::atomic<uint64_t> delivered{0};  // channel entries received
    std::atomic<uint64_t> missing{0};    // sequences skipped in what a person received
    std::atomic<uint64_t> repeated{0};   // sequences received twice (allowed around a gateway reload)
};

class Person {
public:
    Person(std::string name, client::Endpoint edge, Tally& tally, unsigned seed);

    // Registers; the first person creates `channel_name`, the others join the id it returns.
    std::string create(const std::string& channel_name);
    void join(const std::string& channel);

    // Sessions until `deadline`, `pause` between requests.
    void run(Clock::time_point deadline, std::chrono::milliseconds pause);

private:
    void session(Clock::time_point deadline, std::chrono::milliseconds pause);
    bool log_in(testing::EdgeClient& client);
    bool subscribe(testing::EdgeClient& client);
    void act(testing::EdgeClient& client);
    // The answer to `frame`, retried while the gateway says it is reloading; counts what happened.
    nlohmann::json ask(testing::EdgeClient& client, const nlohmann::json& frame);
    void take(testing::EdgeClient& client);
    void enter(const nlohmann::json& membership);

    std::string name_;
    client::Endpoint edge_;
    Tally& tally_;
    std::mt19937 random_;
    std::string channel_;
    std::string refresh_token_;
    uint64_t last_sequence_ = 0;  // the resume point
    uint64_t next_message_ = 0;
};

}  // namespace lanchat::bench::soak

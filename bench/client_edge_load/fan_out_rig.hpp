// FanOutRig: one channel's traffic for the fan-out measurement. Persistent readers on every receiver (and on
// the sender, whose answers are dropped) record deliveries into whichever step is current; run() sends at
// a rate, open loop, and measures that step.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "generator.hpp"

namespace lanchat::bench::edge {

// One step's figures.
struct FanOut {
    double offered_per_second = 0;  // sends per second asked for
    double delivered_per_second = 0;
    double p50_ms = 0, p99_ms = 0;
    double server_cpu_ms_per_1000 = 0;  // the server's CPU (all its threads) over this step, per 1,000 deliveries
};

// Lives while its readers do: `generator` and `target` must outlive it.
class FanOutRig {
public:
    // `channel`: the channel id the node's sends go to (the baseline broadcasts whatever it gets).
    FanOutRig(Generator& generator, const Target& target, std::shared_ptr<Connection> sender, std::string channel,
              Connections receivers);

    // Sends at `rate` for `seconds`, then waits until this step's deliveries stop (backlog included), so one
    // step's queue never spills into the next. Throughput: this step's deliveries over the time they took.
    FanOut run(double rate, int seconds);

    size_t receivers() const { return receivers_.size(); }

    // Runs the loop until no frame has come for a second: what setting the channel up sent (every member's
    // JOINED event goes to every member already there) is read before the first step, not inside it.
    void settle();

private:
    boost::asio::awaitable<void> read(std::shared_ptr<Connection> connection, bool counts);
    // Paced by the clock, not by answers: an open loop, as many senders would be.
    boost::asio::awaitable<void> send(double rate, int seconds, bool& done);

    Generator& generator_;
    const Target& target_;
    std::shared_ptr<Connection> sender_;
    std::string channel_;
    Connections receivers_;
    std::vector<double> latencies_;
    uint64_t delivered_ = 0;
    Clock::time_point last_delivery_;
    Clock::time_point last_frame_;  // of any kind, counted or not
    int step_ = 0;
    int64_t message_ids_ = 0;
};

}  // namespace lanchat::bench::edge

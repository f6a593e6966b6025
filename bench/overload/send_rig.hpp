// SendRig: the overload benchmark's traffic. Every member of one public channel sends on its own connection,
// each send with a request id and a unique client_message_id; one reader per connection sorts what comes
// back: the send's answer (ok, or an error by code), deliveries of the benchmark's posts, and `resubscribe`
// (answered with a new subscribe). run() offers a total rate, open loop, spread over the members in turn.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "client_edge_load/generator.hpp"

namespace lanchat::bench::overload {

using edge::Clock;
using edge::Connection;
using edge::Connections;
using edge::Generator;
using edge::Target;

// What one phase's sends met, counted by the phase the send was made in, however late its answer came.
struct Phase {
    double offered_per_second = 0;
    double seconds = 0;
    uint64_t sent = 0;
    uint64_t acknowledged = 0;
    uint64_t unanswered = 0;                  // no answer before the rig stopped waiting
    std::map<std::string, uint64_t> refused;  // error code -> count
    uint64_t deliveries = 0;                  // of this phase's posts, to every member
    uint64_t resubscribes = 0;
    double p99_ack_ms = 0;
    double p99_refusal_ms = 0;
    // From the phase's start to the last send that was not acknowledged, plus one send interval: when the
    // rate was served in full from then on. 0 when every send was acknowledged.
    double full_service_after_ms = 0;
    double server_cpu_seconds = 0;  // the server's CPU over the phase and the wait for its answers

    double goodput() const { return static_cast<double>(acknowledged) / seconds; }
    uint64_t refusals() const;
};

// `generator` and `target` must outlive the rig; `members` are subscribed connections of `channel`.
class SendRig {
public:
    SendRig(Generator& generator, const Target& target, std::string channel, Connections members);

    // Offers `rate` sends per second for `seconds`; with `wait_for_answers`, then waits (at most `answer_wait`)
    // for every answer and for the deliveries to stop before reading the figures. Phases run back to back
    // without waiting count answers that arrive during the next phase for the phase that sent them.
    Phase run(double rate, double seconds, bool wait_for_answers, std::chrono::milliseconds answer_wait);
    // The figures of an earlier phase, now that its late answers are in (by its number, from 1).
    Phase figures(int phase) const;
    int phases() const { return static_cast<int>(phases_.size()); }

private:
    struct Pending {
        int phase;
        Clock::time_point sent;
    };
    struct Record {
        Phase figures;
        Clock::time_point start;
        double interval_ms = 0;
        std::vector<double> ack_ms, refusal_ms;
        double last_not_acknowledged_ms = -1;
    };

    boost::asio::awaitable<void> read(std::shared_ptr<Connection> connection);
    boost::asio::awaitable<void> send(double rate, double seconds, bool& done);
    void answered(const std::string& text);
    void delivered(const std::string& text);
    void not_acknowledged(Record& record, Clock::time_point sent);
    Phase finish(int phase) const;

    Generator& generator_;
    const Target& target_;
    std::string channel_;
    Connections members_;
    std::vector<Record> phases_;
    std::unordered_map<std::string, Pending> pending_;                             // request id -> its send
    std::deque<std::pair<std::shared_ptr<Connection>, std::string>> resubscribe_;  // frames the send loop writes
    Clock::time_point last_delivery_;
    int64_t next_id_ = 0;
};

}  // namespace lanchat::bench::overload

// The fan-out measurement: members of one channel connected and subscribed, then a sender at rising rates
// until deliveries stop keeping up, for the node and for the baseline.
#include <algorithm>
#include <iomanip>
#include <iostream>
#include <nlohmann/json.hpp>

#include "fan_out_rig.hpp"
#include "measurements.hpp"

namespace lanchat::bench::edge {

namespace asio = boost::asio;
using json = nlohmann::json;

namespace {

// `members` new users, each registered, joined to `channel` and subscribed on a connection of their own.
Connections connect_members(Generator& generator, const Target& lanchat, const std::string& channel, int members) {
    Connections receivers;
    generator.run_tasks(members, 8, [&](int n) -> asio::awaitable<void> {
        auto member = co_await generator.open(lanchat, "");
        if (!member) co_return;
        json registration = {
            {"type", "register"}, {"username", "m" + std::to_string(n)}, {"password", "member password"}};
        json registered = co_await generator.request(*member, registration);
        if (registered["type"] != "ok") {
            std::cerr << "register: " << registered.dump() << "\n";
            co_return;
        }
        json join = {{"type", "channels.join"}, {"channel_id", channel}};
        co_await generator.request(*member, join);
        json subscribe = {{"type", "subscribe"}};
        co_await generator.request(*member, subscribe);
        receivers.push_back(member);
    });
    return receivers;
}

// Rising rates until saturation, then one step at half the best delivery rate.
void sweep(FanOutRig& rig, const std::string& name, int seconds) {
    rig.settle();
    FanOut best;  // the step with the most deliveries per second: saturation
    for (double rate : {5.0, 10.0, 20.0, 40.0, 80.0, 160.0, 320.0, 640.0, 960.0, 1280.0, 1920.0, 2560.0, 3840.0}) {
        FanOut step = rig.run(rate, seconds);
        std::cout << "  " << std::setw(8) << name << ": " << std::setw(6) << rate << " sends/s -> " << std::setw(9)
                  << step.delivered_per_second << " deliveries/s (p50 " << step.p50_ms << " ms, p99 " << step.p99_ms
                  << " ms; server " << step.server_cpu_ms_per_1000 << " CPU-ms per 1,000)" << std::endl;
        if (step.delivered_per_second > best.delivered_per_second) best = step;
        if (step.delivered_per_second < 0.9 * rate * rig.receivers()) break;  // saturated
    }
    FanOut half = rig.run(std::max(1.0, best.delivered_per_second / 2 / static_cast<double>(rig.receivers())), seconds);
    std::cout << "  " << std::setw(8) << name << ": saturation " << best.delivered_per_second << " deliveries/s at "
              << best.server_cpu_ms_per_1000 << " server CPU-ms per 1,000 deliveries (" << best.server_cpu_ms_per_1000
              << " us each); at half that rate (" << half.offered_per_second << " sends/s) p50 " << half.p50_ms
              << " ms, p99 " << half.p99_ms << " ms" << std::endl;
}

}  // namespace

bool measure_fan_out(Generator& generator, const Targets& targets, int members, int seconds) {
    std::cout << "\nfan-out: one channel, " << members << " connected members, one sender, " << seconds
              << " s per rate\n";
    std::string channel;
    std::shared_ptr<Connection> sender;
    generator.run_alone([&]() -> asio::awaitable<void> {
        sender = co_await generator.open(targets.lanchat, targets.node_auth);
        json create = {{"type", "channels.create"}, {"name", "fanout"}};
        json created = co_await generator.request(*sender, create);
        channel = created["channel"].value("id", "");
    });
    Connections receivers = connect_members(generator, targets.lanchat, channel, members);
    Connections baseline_receivers = generator.open_many(targets.baseline, targets.baseline_auth, members, 32).first;
    std::shared_ptr<Connection> baseline_sender;
    generator.run_alone([&]() -> asio::awaitable<void> {
        baseline_sender = co_await generator.open(targets.baseline, targets.baseline_auth);
    });

    if (!sender || channel.empty() || !baseline_sender) {
        std::cerr << "could not set up the fan-out (sender, channel or baseline sender missing)\n";
        return false;
    }
    std::cout << "  " << receivers.size() << " lanchat members, " << baseline_receivers.size()
              << " baseline connections\n";
    FanOutRig lanchat_rig(generator, targets.lanchat, sender, channel, receivers);
    sweep(lanchat_rig, "lanchat", seconds);
    FanOutRig baseline_rig(generator, targets.baseline, baseline_sender, channel, baseline_receivers);
    sweep(baseline_rig, "baseline", seconds);
    return true;
}

}  // namespace lanchat::bench::edge

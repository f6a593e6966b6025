#include "heartbeat.hpp"

namespace heartbeat {

using namespace lanchat::sdk;

Heartbeat::Heartbeat(Host& host)
    : Plugin(host),
      interval_(settings().get<std::chrono::milliseconds>("interval_ms")),
      message_(settings().get<std::string>("message")) {}

Status Heartbeat::start() {
    timer_ = executor().every(interval_, [this] { beat(); });
    log().info("heartbeat started", {{"interval_ms", interval_.count()}, {"beats_so_far", beats_.load()}});
    return {};
}

void Heartbeat::beat() {
    if (!in_flight_.enter()) return;  // draining: take no new work
    log().info(message_, {{"beat", ++beats_}});
    in_flight_.leave();
}

void Heartbeat::drain(DrainSignal done) {
    timer_.reset();                     // no new beats
    in_flight_.close(std::move(done));  // signalled once the beat in progress, if any, has finished
}

// The state a successor takes over on reload, version 1: the beat count.
constexpr uint32_t kStateVersion = 1;

Result<std::string> Heartbeat::export_state() { return StateWriter(kStateVersion).put_u64(beats_.load()).bytes(); }

Status Heartbeat::import_state(std::string_view state) {
    StateReader reader(state);
    auto version = reader.version();
    if (!version.ok()) return version.status();
    if (*version == 0) return {};  // nothing handed over
    if (*version != kStateVersion) {
        return invalid_argument("heartbeat state version " + std::to_string(*version) +
                                " is not one this build reads (1)");
    }
    auto beats = reader.get_u64();
    if (!beats.ok()) return beats.status();
    beats_ = *beats;
    return {};
}

void Heartbeat::stop() {
    timer_.reset();
    log().info("heartbeat stopped", {{"beats", beats_.load()}});
}

}  // namespace heartbeat

// Heartbeat: logs a numbered beat at a configured interval, and keeps counting across hot reloads.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "lanchat/sdk.hpp"

namespace heartbeat {

class Heartbeat : public lanchat::sdk::Plugin {
public:
    // Reads its settings (plugin.cpp declares them) through settings().
    explicit Heartbeat(lanchat::sdk::Host& host);

    lanchat::sdk::Status start() override;
    void drain(lanchat::sdk::DrainSignal done) override;
    lanchat::sdk::Result<std::string> export_state() override;
    lanchat::sdk::Status import_state(std::string_view state) override;
    void stop() override;

private:
    void beat();

    std::chrono::milliseconds interval_;
    std::string message_;
    std::atomic<uint64_t> beats_{0};
    lanchat::sdk::Gate in_flight_;  // a beat being logged is work in flight
    lanchat::sdk::Timer timer_;
};

}  // namespace heartbeat

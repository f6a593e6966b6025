#include "health_watch.hpp"

#include <chrono>

#include "lanchat/http_client/http_client.hpp"

namespace lanchat::bench::overload {

using namespace std::chrono_literals;

void HealthWatch::start(url::HostPort admin) {
    admin_ = std::move(admin);
    prober_ = std::thread([this] {
        while (!stopping_) {
            probe_once();
            std::this_thread::sleep_for(100ms);
        }
    });
}

void HealthWatch::stop() {
    stopping_ = true;
    if (prober_.joinable()) prober_.join();
}

void HealthWatch::probe_once() {
    http_client::Request request;
    request.target = "/health/ready";
    request.user_agent = "overload";
    const auto began = std::chrono::steady_clock::now();
    auto outcome = http_client::send({admin_.host, admin_.port, std::nullopt}, request, 1s);
    const double took_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - began).count();
    const auto* response = std::get_if<http_client::Response>(&outcome);
    std::lock_guard lock(mutex_);
    ++figures_.probes;
    if (response == nullptr || response->status != 200) ++figures_.failed;
    figures_.max_ms = std::max(figures_.max_ms, took_ms);
}

void HealthWatch::log_line(const std::string& line) {
    if (line.find("cannot register with discovery") == std::string::npos) return;
    std::lock_guard lock(mutex_);
    ++figures_.discovery_failures;
}

HealthFigures HealthWatch::figures() const {
    std::lock_guard lock(mutex_);
    return figures_;
}

void HealthWatch::reset() {
    std::lock_guard lock(mutex_);
    figures_ = {};
}

}  // namespace lanchat::bench::overload

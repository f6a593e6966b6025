#include "fan_out_rig.hpp"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <nlohmann/json.hpp>
#include <string_view>

#include "process_usage.hpp"

namespace lanchat::bench::edge {

namespace asio = boost::asio;
namespace beast = boost::beast;
using json = nlohmann::json;
using namespace std::chrono_literals;
constexpr auto kAwait = asio::use_awaitable;

FanOutRig::FanOutRig(Generator& generator, const Target& target, std::shared_ptr<Connection> sender,
                     std::string channel, Connections receivers)
    : generator_(generator),
      target_(target),
      sender_(std::move(sender)),
      channel_(std::move(channel)),
      receivers_(std::move(receivers)) {
    for (const auto& receiver : receivers_) asio::co_spawn(generator_.io(), read(receiver, true), asio::detached);
    asio::co_spawn(generator_.io(), read(sender_, false), asio::detached);
}

FanOut FanOutRig::run(double rate, int seconds) {
    ++step_;
    latencies_.clear();
    latencies_.reserve(static_cast<size_t>(rate * seconds * receivers_.size()) + 1);
    delivered_ = 0;
    bool sent_all = false;
    const double cpu_before = cpu_seconds(target_.pid);
    const auto start = Clock::now();
    last_delivery_ = start;
    asio::co_spawn(generator_.io(), send(rate, seconds, sent_all), asio::detached);
    generator_.io().restart();
    while (!sent_all) generator_.io().run_one();
    const auto give_up = Clock::now() + 60s;
    while (Clock::now() - last_delivery_ < 1s && Clock::now() < give_up) generator_.io().run_for(50ms);
    FanOut result;
    result.offered_per_second = rate;
    result.delivered_per_second = delivered_ / std::chrono::duration<double>(last_delivery_ - start).count();
    // Read once the step's deliveries stopped: the second of quiet waited for costs the server next to nothing.
    const double cpu = cpu_seconds(target_.pid) - cpu_before;
    if (delivered_ > 0) result.server_cpu_ms_per_1000 = cpu * 1e3 * 1000 / static_cast<double>(delivered_);
    std::sort(latencies_.begin(), latencies_.end());
    if (!latencies_.empty()) {
        result.p50_ms = latencies_[latencies_.size() / 2];
        result.p99_ms = latencies_[static_cast<size_t>(latencies_.size() * 0.99)];
    }
    return result;
}

void FanOutRig::settle() {
    last_frame_ = Clock::now();
    generator_.io().restart();
    while (Clock::now() - last_frame_ < 1s) generator_.io().run_for(50ms);
}

asio::awaitable<void> FanOutRig::read(std::shared_ptr<Connection> connection, bool counts) {
    beast::error_code error;
    for (;;) {
        co_await connection->ws.async_read(connection->buffer, asio::redirect_error(kAwait, error));
        if (error) co_return;
        last_frame_ = Clock::now();
        std::string_view text(static_cast<const char*>(connection->buffer.cdata().data()), connection->buffer.size());
        size_t at = text.find("\"body\":\"t");
        if (counts && at != std::string_view::npos) {  // body: t<step>_<send time in ns>
            size_t separator = text.find('_', at);
            int step = std::stoi(std::string(text.substr(at + 9, separator - at - 9)));
            int64_t sent = std::stoll(std::string(text.substr(separator + 1, 20)));
            if (step == step_) {
                latencies_.push_back((now_ns() - sent) / 1e6);
                ++delivered_;
                last_delivery_ = Clock::now();
            }
        }
        connection->buffer.consume(connection->buffer.size());
    }
}

asio::awaitable<void> FanOutRig::send(double rate, int seconds, bool& done) {
    asio::steady_timer timer(generator_.io());
    beast::error_code error;
    auto start = Clock::now();
    auto end = start + std::chrono::seconds(seconds);
    for (int64_t sent = 0; Clock::now() < end; ++sent) {
        timer.expires_at(start + std::chrono::nanoseconds(static_cast<int64_t>(sent * 1e9 / rate)));
        co_await timer.async_wait(asio::redirect_error(kAwait, error));
        std::string body = "t" + std::to_string(step_) + "_" + std::to_string(now_ns());
        std::string frame = target_.node ? json{{"type", "send"},
                                                {"channel_id", channel_},
                                                {"body", body},
                                                {"client_message_id", "b" + std::to_string(++message_ids_)}}
                                               .dump()
                                         : json{{"type", "send"}, {"body", body}}.dump();
        co_await sender_->ws.async_write(asio::buffer(frame), asio::redirect_error(kAwait, error));
    }
    done = true;
}

}  // namespace lanchat::bench::edge

#include "send_rig.hpp"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <nlohmann/json.hpp>
#include <string_view>

#include "client_edge_load/process_usage.hpp"

namespace lanchat::bench::overload {

namespace asio = boost::asio;
namespace beast = boost::beast;
using json = nlohmann::json;
using namespace std::chrono_literals;
constexpr auto kAwait = asio::use_awaitable;

namespace {

double ms_between(Clock::time_point from, Clock::time_point to) {
    return std::chrono::duration<double, std::milli>(to - from).count();
}

double p99(std::vector<double> values) {
    if (values.empty()) return 0;
    std::sort(values.begin(), values.end());
    return values[static_cast<size_t>(static_cast<double>(values.size() - 1) * 0.99)];
}

}  // namespace

uint64_t Phase::refusals() const {
    uint64_t total = 0;
    for (const auto& [code, count] : refused) total += count;
    return total;
}

SendRig::SendRig(Generator& generator, const Target& target, std::string channel, Connections members)
    : generator_(generator), target_(target), channel_(std::move(channel)), members_(std::move(members)) {
    phases_.reserve(256);  // a send loop holds its phase's record across its waits
    for (const auto& member : members_) asio::co_spawn(generator_.io(), read(member), asio::detached);
}

Phase SendRig::run(double rate, double seconds, bool wait_for_answers, std::chrono::milliseconds answer_wait) {
    Record& record = phases_.emplace_back();
    record.figures.offered_per_second = rate;
    record.figures.seconds = seconds;
    record.interval_ms = 1000.0 / rate;
    const double cpu_before = edge::cpu_seconds(target_.pid);
    record.start = Clock::now();
    bool sent_all = false;
    asio::co_spawn(generator_.io(), send(rate, seconds, sent_all), asio::detached);
    generator_.io().restart();
    while (!sent_all) generator_.io().run_one();
    if (wait_for_answers) {
        const auto give_up = Clock::now() + answer_wait;
        last_delivery_ = Clock::now();
        while (Clock::now() < give_up && (!pending_.empty() || Clock::now() - last_delivery_ < 500ms)) {
            generator_.io().run_for(20ms);
        }
    }
    phases_.back().figures.server_cpu_seconds = edge::cpu_seconds(target_.pid) - cpu_before;
    return finish(phases());
}

Phase SendRig::figures(int phase) const { return finish(phase); }

Phase SendRig::finish(int phase) const {
    const Record& record = phases_.at(static_cast<size_t>(phase - 1));
    Phase figures = record.figures;
    for (const auto& [id, pending] : pending_) {
        if (pending.phase == phase) ++figures.unanswered;
    }
    figures.p99_ack_ms = p99(record.ack_ms);
    figures.p99_refusal_ms = p99(record.refusal_ms);
    double last = record.last_not_acknowledged_ms;
    for (const auto& [id, pending] : pending_) {
        if (pending.phase == phase) last = std::max(last, ms_between(record.start, pending.sent));
    }
    figures.full_service_after_ms = last < 0 ? 0 : last + record.interval_ms;
    return figures;
}

asio::awaitable<void> SendRig::read(std::shared_ptr<Connection> connection) {
    beast::error_code error;
    for (;;) {
        co_await connection->ws.async_read(connection->buffer, asio::redirect_error(kAwait, error));
        if (error) co_return;
        std::string text = beast::buffers_to_string(connection->buffer.cdata());
        connection->buffer.consume(connection->buffer.size());
        if (text.find("\"type\":\"message\"") != std::string::npos) {
            delivered(text);
        } else if (text.find("\"type\":\"resubscribe\"") != std::string::npos) {
            if (!phases_.empty()) ++phases_.back().figures.resubscribes;
            json subscribe = {{"type", "subscribe"}};
            // The subscribe goes out on the send loop's turn: one writer per connection.
            resubscribe_.push_back({connection, subscribe.dump()});
        } else {
            answered(text);
        }
    }
}

void SendRig::delivered(const std::string& text) {
    size_t at = text.find("\"body\":\"p");
    if (at == std::string::npos) return;  // a membership event, not one of the benchmark's posts
    int phase = std::atoi(text.c_str() + at + 9);
    if (phase < 1 || phase > phases()) return;
    ++phases_[static_cast<size_t>(phase - 1)].figures.deliveries;
    last_delivery_ = Clock::now();
}

void SendRig::answered(const std::string& text) {
    json answer = json::parse(text, nullptr, false);
    if (!answer.is_object()) return;
    auto it = pending_.find(answer.value("id", ""));
    if (it == pending_.end()) return;  // a subscribe's answer
    const Pending pending = it->second;
    pending_.erase(it);
    Record& record = phases_[static_cast<size_t>(pending.phase - 1)];
    const double took_ms = ms_between(pending.sent, Clock::now());
    if (answer.value("type", "") == "ok") {
        ++record.figures.acknowledged;
        record.ack_ms.push_back(took_ms);
        return;
    }
    ++record.figures.refused[answer.value("code", "(no code)")];
    record.refusal_ms.push_back(took_ms);
    not_acknowledged(record, pending.sent);
}

void SendRig::not_acknowledged(Record& record, Clock::time_point sent) {
    record.last_not_acknowledged_ms = std::max(record.last_not_acknowledged_ms, ms_between(record.start, sent));
}

// Paced by the clock, not by answers: an open loop, as many people sending at once would be.
asio::awaitable<void> SendRig::send(double rate, double seconds, bool& done) {
    asio::steady_timer timer(generator_.io());
    beast::error_code error;
    const int phase = phases();
    Record& record = phases_.back();
    const auto end = record.start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
    for (int64_t n = 0;; ++n) {
        const auto due =
            record.start + std::chrono::nanoseconds(static_cast<int64_t>(static_cast<double>(n) * 1e9 / rate));
        if (due >= end) break;
        timer.expires_at(due);
        co_await timer.async_wait(asio::redirect_error(kAwait, error));
        while (!resubscribe_.empty()) {
            auto [connection, frame] = std::move(resubscribe_.front());
            resubscribe_.pop_front();
            co_await connection->ws.async_write(asio::buffer(frame), asio::redirect_error(kAwait, error));
        }
        const std::string id = "s" + std::to_string(++next_id_);
        const std::string frame = json{
            {"type", "send"},
            {"id", id},
            {"channel_id", channel_},
            {"body", "p" + std::to_string(phase) + "_" + id},
            {"client_message_id",
             "overload-" + id}}.dump();
        Connection& member = *members_[static_cast<size_t>(n) % members_.size()];
        pending_[id] = {phase, Clock::now()};
        ++record.figures.sent;
        co_await member.ws.async_write(asio::buffer(frame), asio::redirect_error(kAwait, error));
    }
    done = true;
}

}  // namespace lanchat::bench::overload

#include "session.hpp"

#include <chrono>

namespace lanchat::client {

using json = nlohmann::json;
using namespace std::chrono_literals;

void Session::start(std::function<void(const json&)> on_push) {
    on_push_ = std::move(on_push);
    reader_ = std::thread([this] {
        socket_->run([this](const std::string& text) { received(text); });
        std::lock_guard lock(mutex_);
        ended_ = true;
        answered_.notify_all();
    });
}

void Session::stop() {
    if (!reader_.joinable()) return;
    socket_->close_later();
    reader_.join();
}

std::optional<json> Session::request(json frame, std::string& error) {
    std::string id;
    {
        std::lock_guard lock(mutex_);
        id = "c" + std::to_string(++next_id_);
    }
    frame["id"] = id;
    socket_->send_later(frame.dump());
    std::unique_lock lock(mutex_);
    if (!answered_.wait_for(lock, 15s, [&] { return answers_.count(id) > 0 || ended_; })) {
        error = "no answer within 15 s";
        return std::nullopt;
    }
    if (answers_.count(id) == 0) {
        error = "the connection ended: " + std::to_string(socket_->close_code()) + " " + socket_->close_reason();
        return std::nullopt;
    }
    json answer = std::move(answers_[id]);
    answers_.erase(id);
    if (answer["type"] == "error") {
        error = answer.value("code", "error") + ": " + answer.value("message", "");
        return std::nullopt;
    }
    return answer;
}

bool Session::ended() {
    std::lock_guard lock(mutex_);
    return ended_;
}

void Session::received(const std::string& text) {
    json frame = json::parse(text, nullptr, false);
    if (!frame.is_object()) return;
    if (frame.contains("id") && (frame["type"] == "ok" || frame["type"] == "error")) {
        std::lock_guard lock(mutex_);
        answers_[frame["id"]] = frame;
        answered_.notify_all();
        return;
    }
    if (on_push_) on_push_(frame);
}

}  // namespace lanchat::client

#include "soak_person.hpp"

#include <iostream>
#include <thread>

namespace lanchat::bench::soak {

using json = nlohmann::json;
using testing::EdgeClient;
using namespace std::chrono_literals;

constexpr uint16_t kGatewayStopping = 1001;

Person::Person(std::string name, client::Endpoint edge, Tally& tally, unsigned seed)
    : name_(std::move(name)), edge_(std::move(edge)), tally_(tally), random_(seed) {}

std::string Person::create(const std::string& channel_name) {
    enter({{"type", "channels.create"}, {"name", channel_name}});
    return channel_;
}

void Person::join(const std::string& channel) {
    channel_ = channel;
    enter({{"type", "channels.join"}, {"channel_id", channel}});
}

void Person::enter(const json& membership) {
    auto client = EdgeClient::connect(edge_);
    if (client == nullptr) throw std::runtime_error(name_ + " cannot connect to the edge");
    json registered = client->request({{"type", "register"}, {"username", name_}, {"password", name_ + " password"}});
    json entered = client->request(membership);
    if (registered["type"] != "ok" || entered["type"] != "ok") {
        throw std::runtime_error(name_ + " could not register and enter: " + registered.dump() + entered.dump());
    }
    if (entered.contains("channel")) channel_ = entered["channel"]["id"];
    json page = client->request({{"type", "history"}, {"channel_id", channel_}, {"before", 0}, {"limit", 1}});
    last_sequence_ = page["last_sequence"];
}

void Person::run(Clock::time_point deadline, std::chrono::milliseconds pause) {
    while (Clock::now() < deadline) session(deadline, pause);
}

void Person::session(Clock::time_point deadline, std::chrono::milliseconds pause) {
    auto client = EdgeClient::connect(edge_);
    if (client == nullptr) {
        ++tally_.failed;
        std::cerr << name_ << ": cannot connect\n";
        std::this_thread::sleep_for(1s);
        return;
    }
    ++tally_.sessions;
    if (!log_in(*client) || !subscribe(*client)) return;
    const int requests = std::uniform_int_distribution<int>(50, 400)(random_);
    for (int i = 0; i < requests && Clock::now() < deadline && !client->ended(); ++i) {
        act(*client);
        take(*client);
        std::this_thread::sleep_for(pause);
    }
    if (client->ended() && client->close_code() != kGatewayStopping) {
        ++tally_.failed;
        std::cerr << name_ << ": the connection ended (close code " << client->close_code() << ")\n";
    }
}

// Alternately the password and the refresh token of the last login.
bool Person::log_in(EdgeClient& client) {
    json frame = {{"type", "auth"}};
    if (refresh_token_.empty() || random_() % 2 == 0) {
        frame["username"] = name_;
        frame["password"] = name_ + " password";
    } else {
        frame["refresh_token"] = std::exchange(refresh_token_, "");
    }
    json answer = ask(client, frame);
    if (answer["type"] != "ok") return false;
    refresh_token_ = answer["refresh_token"];
    return true;
}

bool Person::subscribe(EdgeClient& client) {
    return ask(client, {{"type", "subscribe"}, {"resume", {{channel_, last_sequence_}}}})["type"] == "ok";
}

// Half of the requests are sends; the rest what a chat client does around them.
void Person::act(EdgeClient& client) {
    const unsigned dice = random_() % 20;
    if (dice < 10) {
        const std::string id = name_ + "-" + std::to_string(next_message_++);
        ask(client, {{"type", "send"}, {"channel_id", channel_}, {"body", "soak " + id}, {"client_message_id", id}});
    } else if (dice < 13) {
        ask(client, {{"type", "history"}, {"channel_id", channel_}, {"before", 0}, {"limit", 50}});
    } else if (dice < 15) {
        ask(client, {{"type", "typing"}, {"channel_id", channel_}});
    } else if (dice < 17) {
        static const char* const kStatuses[] = {"online", "away", "dnd"};
        ask(client, {{"type", "presence.set"}, {"status", kStatuses[random_() % 3]}});
    } else if (dice < 18) {
        ask(client, {{"type", "presence.watch"}, {"user_ids", json::array()}});
    } else if (dice < 19) {
        ask(client, {{"type", "channels.list"}});
    } else {
        ask(client, {{"type", "users.find"}, {"username", name_}});
    }
}

json Person::ask(EdgeClient& client, const json& frame) {
    for (int attempt = 0;; ++attempt) {
        json answer = client.request(frame, 10s);
        if (answer["type"] == "ok") {
            ++tally_.answered;
            return answer;
        }
        if (answer["type"] == "(ended)") {
            if (client.close_code() == kGatewayStopping) ++tally_.cut;
            return answer;  // session() counts an ending that was not the reload's
        }
        if (answer["code"] == "unavailable" && attempt < 5) {
            ++tally_.retried;
            std::this_thread::sleep_for(200ms);
            continue;
        }
        ++tally_.failed;
        std::cerr << name_ << ": " << frame["type"] << " -> " << answer.dump() << "\n";
        return answer;
    }
}

void Person::take(EdgeClient& client) {
    for (const json& frame : client.take_pushed()) {
        if (frame["type"] == "resubscribe") {
            subscribe(client);
            continue;
        }
        if (frame["type"] != "message" || frame["channel_id"] != channel_) continue;
        const uint64_t sequence = frame["sequence"];
        ++tally_.delivered;
        if (sequence <= last_sequence_) {
            ++tally_.repeated;
            continue;
        }
        if (sequence != last_sequence_ + 1) {
            tally_.missing += sequence - last_sequence_ - 1;
            std::cerr << name_ << ": got " << sequence << " after " << last_sequence_ << "\n";
        }
        last_sequence_ = sequence;
    }
}

}  // namespace lanchat::bench::soak

#include "session.hpp"

#include "clock.hpp"

namespace lanchat::gateway {

std::string address_of(std::string_view peer) {
    if (!peer.empty() && peer.front() == '[') {
        size_t close = peer.find(']');
        return std::string(close == std::string_view::npos ? peer : peer.substr(1, close - 1));
    }
    size_t colon = peer.rfind(':');
    if (colon == std::string_view::npos || peer.find(':') != colon) return std::string(peer);  // no port, or bare v6
    return std::string(peer.substr(0, colon));
}

Session::Session(const sdk::Connection& connection, double rate_per_second, double burst, int64_t now_ms,
                 size_t max_requests_in_flight)
    : id(connection.id),
      peer_address(connection.peer_address),
      device_fingerprint(connection.device_fingerprint),
      opened_ms(now_ms),
      requests(max_requests_in_flight),
      rate_limiter(rate_per_second, burst, now_ms) {}

channel::v1::Actor Session::actor() {
    std::lock_guard lock(mutex);
    channel::v1::Actor actor;
    actor.set_user_id(user_id);
    for (const std::string& role : roles) actor.add_roles(role);
    return actor;
}

std::string Session::user() {
    std::lock_guard lock(mutex);
    return user_id;
}

auth::v1::Session Session::auth_session() {
    std::lock_guard lock(mutex);
    auth::v1::Session session;
    session.set_token_id(token_id);
    session.set_user_id(user_id);
    session.set_device_fingerprint(token_device);
    session.set_expires_unix_s(expires_ms / 1000);
    return session;
}

bool Session::take_token() {
    std::lock_guard lock(mutex);
    return rate_limiter.try_take(plugin_support::unix_ms_now());
}

bool Session::flooding() {
    std::lock_guard lock(mutex);
    return rate_limiter.flooding();
}

}  // namespace lanchat::gateway

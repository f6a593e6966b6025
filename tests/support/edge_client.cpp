#include "edge_client.hpp"

namespace lanchat::testing {

using json = nlohmann::json;

client::Endpoint edge_endpoint(const std::string& address, const std::filesystem::path& ca) {
    client::Endpoint endpoint;
    if (sdk::Status parsed = client::parse_address(address, endpoint); !parsed.ok()) {
        throw std::runtime_error("client edge address '" + address + "': " + parsed.message());
    }
    endpoint.ca = ca;
    return endpoint;
}

std::unique_ptr<EdgeClient> EdgeClient::connect(const client::Endpoint& endpoint, std::chrono::milliseconds timeout) {
    auto socket = client::WebSocketClient::connect(endpoint, timeout);
    if (!socket.ok()) return nullptr;
    std::unique_ptr<EdgeClient> client(new EdgeClient(std::move(socket).value()));
    client->hello_ = client->read(timeout);
    if (client->hello_["type"] != "hello") return nullptr;
    return client;
}

json EdgeClient::read(std::chrono::milliseconds timeout) {
    if (ended_) return {{"type", "(ended)"}, {"why", why_}};
    auto text = socket_->receive(timeout);
    if (!text.ok()) {
        ended_ = true;  // a receive that timed out leaves the connection unusable too
        why_ = text.status().message();
        return read(timeout);
    }
    return json::parse(*text, nullptr, false);
}

json EdgeClient::request(json frame, std::chrono::milliseconds timeout) {
    const std::string id = "r" + std::to_string(++requests_);
    frame["id"] = id;
    if (!ended_ && !socket_->send(frame.dump()).ok()) {
        ended_ = true;
        why_ = "the request could not be written";
    }
    for (;;) {
        json answer = read(timeout);
        if (answer["type"] == "(ended)" || answer.value("id", "") == id) return answer;
        pushed_.push_back(std::move(answer));
    }
}

json EdgeClient::next_pushed(std::chrono::milliseconds timeout) {
    if (!pushed_.empty()) {
        json kept = std::move(pushed_.front());
        pushed_.pop_front();
        return kept;
    }
    return read(timeout);
}

}  // namespace lanchat::testing

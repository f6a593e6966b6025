// The plugin-facing half of the client edge: which plugin instance handles connections, the open connections
// with their session bytes, and the calls into the handler. No networking here: the listener hands each
// connection in as a ConnectionPort, so reload hand-over can be read (and tested) apart from Beast.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>

#include "abi/http_exchange.hpp"
#include "host_fwd.hpp"
#include "lanchat/plugin_abi.h"
#include "lanchat/sdk/status.hpp"

namespace lanchat::host::edge {

// Close codes the host itself sends (sdk-docs/client-protocol.md lists them all).
constexpr uint16_t kCloseGoingAway = 1001;    // the node or its gateway is stopping
constexpr uint16_t kCloseUnsupported = 1003;  // a binary frame
constexpr uint16_t kCloseTryLater = 1013;     // no gateway is running
constexpr uint16_t kCloseSlowReader = 4008;   // the send queue went over its limit

// One text message's bytes, immutable and shared by every connection it is queued on (send_many copies a
// delivery once for a whole room).
using Payload = std::shared_ptr<const std::string>;

// The transport side of one connection, implemented by the listener.
class ConnectionPort {
public:
    virtual ~ConnectionPort() = default;
    // Queues a text message; RESOURCE_EXHAUSTED (and the connection closes with 4008) when over the limit.
    virtual lanchat_status_code send(Payload text) = 0;
    // Sends a close frame after what is queued, then ends the connection.
    virtual void close(uint16_t code, std::string reason) = 0;
};

struct ConnectionFacts {
    std::string peer_address;
    std::string device_fingerprint;
    std::string target;
};

class Dispatcher {
public:
    explicit Dispatcher(NodeLog& log) : log_(log) {}

    // --- the plugin side (ABI calls) ---
    // The first instance attaches directly; another instance of the same plugin while one is attached (a reload)
    // is staged until promote(). Another plugin is refused.
    sdk::Status attach(lanchat_host_context* owner, const std::string& plugin_name,
                       const lanchat_client_edge_handler& handler);
    // The reload switch: a staged successor takes over and is handed every open connection (adopted).
    void promote(lanchat_host_context* successor);
    // At an instance's stop (before the plugin's own stop runs): afterwards no callback reaches it. When it was
    // the active handler and none follows, every connection is closed with 1001.
    void detach(lanchat_host_context* owner);
    lanchat_status_code send(lanchat_connection_id id, std::string_view text);
    // Queues one copy of `text` on each connection; `results` is empty or as long as `ids` and gets each
    // outcome. OK when all were queued, else the first outcome that was not.
    lanchat_status_code send_many(std::span<const lanchat_connection_id> ids, std::string_view text,
                                  std::span<lanchat_status_code> results);
    lanchat_status_code set_session(lanchat_connection_id id, std::string_view session);
    void close(lanchat_connection_id id, uint16_t code, std::string_view reason);

    // --- the listener side; each connection's calls come one at a time, in order ---
    bool has_handler() const;
    // Registers a connection and tells the handler; 0 when no handler is attached (the listener closes it).
    lanchat_connection_id opened(std::shared_ptr<ConnectionPort> port, ConnectionFacts facts);
    void message(lanchat_connection_id id, std::string_view text);
    void closed(lanchat_connection_id id, uint16_t code, std::string_view reason);
    // The handler's answer; 503 when no handler is attached, 404 when it does not answer HTTP.
    abi::HttpAnswer http(const abi::HttpRequest& request);

    size_t connection_count() const;

private:
    struct Connection {
        lanchat_connection_id id = 0;
        ConnectionFacts facts;
        std::shared_ptr<ConnectionPort> port;
        std::mutex session_mutex;
        std::string session;
    };
    struct Slot {
        lanchat_host_context* owner = nullptr;
        std::string plugin_name;
        lanchat_client_edge_handler handler{};
    };

    std::shared_ptr<Connection> find(lanchat_connection_id id) const;
    static lanchat_connection_info info_of(Connection& connection, std::string& session_copy, bool adopted);
    void close_all(uint16_t code, const std::string& reason);

    NodeLog& log_;
    // Held shared while a callback runs and exclusively to change the handler, so a switch waits for callbacks
    // in progress and none reaches an instance after detach.
    mutable std::shared_mutex handler_mutex_;
    Slot active_;
    Slot staged_;
    mutable std::mutex connections_mutex_;
    std::map<lanchat_connection_id, std::shared_ptr<Connection>> connections_;
    lanchat_connection_id next_id_ = 1;
};

}  // namespace lanchat::host::edge

// One open WebSocket connection on the edge's own TLS transport. Client frames are read with FrameReader
// into the event loop's buffer and handed to the Dispatcher; what the handler sends is queued as shared
// payloads (send_many queues one copy for a whole room) and everything queued leaves in one TLS write.
// Deadlines (the idle ping, the idle end, the close guard, the write deadline) are checked by the loop's Sweep:
// no timers here. A write the client does not take within `write_timeout` ends the connection with 4008: a
// client that reads a byte at a time would otherwise hold the write, and its buffer, for ever.
// send(), close() and abort() may be called from any thread; everything else runs on the connection's loop.
#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "client_edge/dispatcher.hpp"
#include "client_edge/sweep.hpp"
#include "client_edge/tls_transport.hpp"
#include "client_edge/ws_frames.hpp"
#include "config/node_config.hpp"
#include "host_fwd.hpp"

namespace lanchat::host::edge {

// What every connection of one listener shares; it outlives them all.
struct EdgeWiring {
    const ClientEdgeConfig* config = nullptr;
    Dispatcher* dispatcher = nullptr;
    metrics::Family* frames = nullptr;        // lanchat_client_edge_frames_total{direction}
    metrics::Family* writes = nullptr;        // lanchat_client_edge_writes_total
    metrics::Family* closed_codes = nullptr;  // lanchat_client_edge_closed_total{code}
};

class WsConnection final : public ConnectionPort,
                           public Sweep::Member,
                           public std::enable_shared_from_this<WsConnection> {
public:
    // `first_bytes` (the upgrade's 101 answer) leave before any frame, in the same TLS write as the frames the
    // handler queues when it hears of the connection: one record and one system call, not two.
    WsConnection(std::unique_ptr<TlsTransport> transport, const EdgeWiring& edge, Sweep& sweep,
                 std::string first_bytes);

    lanchat_status_code send(Payload text) override;
    void close(uint16_t code, std::string reason) override;
    // Ends the connection now, without a closing handshake (the node is going and the client did not answer).
    void abort();

    // Writes the first bytes and what is queued by now, reads until the connection ends, then tells the
    // dispatcher how it ended. `early` holds bytes that arrived behind the upgrade request.
    boost::asio::awaitable<void> run(lanchat_connection_id id, std::string early);

    void tick(Sweep::Clock::time_point now) override;

private:
    using Ending = std::pair<uint16_t, std::string>;
    // run()'s scope guard: release() on every way out of it.
    struct Release {
        WsConnection& connection;
        lanchat_connection_id id;
        const boost::system::error_code& error;
        ~Release();
    };

    void release(lanchat_connection_id id, const boost::system::error_code& error);

    void consume(std::string_view bytes, lanchat_connection_id id);
    void begin_close(uint16_t code, std::string reason, bool ours);
    void stage_frame(Opcode opcode, std::string_view payload);
    void drop_outbox();
    void flush();
    void continue_write(boost::system::error_code error);
    void written();
    void end();
    Ending ending(const boost::system::error_code& error) const;

    std::unique_ptr<TlsTransport> transport_;
    const EdgeWiring& edge_;
    FrameReader frames_;

    std::mutex outbox_mutex_;
    std::vector<Payload> outbox_;  // with outbox_mutex_
    bool flush_posted_ = false;    // with outbox_mutex_
    std::atomic<size_t> queued_bytes_{0};
    std::atomic<bool> over_limit_{false};

    // The loop's own state.
    std::string staged_;  // to go before the outbox: the first bytes, control frames, at a close what preceded it
    // The latest ping's payload while its pong waits. Only the latest is answered (RFC 6455 5.5.3): a client
    // that pings without reading cannot pile pongs up in memory.
    std::optional<std::string> pong_due_;
    std::string pending_;  // a write the socket did not take at once, kept until it did
    size_t pending_payload_bytes_ = 0;
    bool writing_ = false;
    Sweep::Clock::time_point write_deadline_ = Sweep::Clock::time_point::max();  // while writing_
    bool close_staged_ = false;
    bool close_written_ = false;
    bool stop_sending_after_close_ = false;  // the peer closed first, or broke the protocol
    bool finished_ = false;
    bool idle_timed_out_ = false;
    std::optional<Ending> our_close_;
    std::optional<Ending> peer_close_;
    Sweep::Clock::time_point last_heard_;
    bool pinged_ = false;
    Sweep::Clock::time_point close_deadline_ = Sweep::Clock::time_point::max();
};

}  // namespace lanchat::host::edge

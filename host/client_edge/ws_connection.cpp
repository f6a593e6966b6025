#include "client_edge/ws_connection.hpp"

#include <algorithm>
#include <array>
#include <boost/asio/post.hpp>

#include "metrics/registry.hpp"

namespace lanchat::host::edge {
namespace asio = boost::asio;
using boost::system::error_code;

namespace {

// The loop's write buffer: a burst of frames is assembled here and handed to OpenSSL as one write; only a
// write the socket does not take at once is copied out to the connection.
std::string& loop_write_buffer() {
    thread_local std::string buffer;
    return buffer;
}

// The label of an ended connection in lanchat_client_edge_closed_total: a code of sdk-docs/client-protocol.md,
// or "other", so a client choosing its close code cannot make a metric series per code.
std::string close_code_label(uint16_t code) {
    static constexpr std::array<uint16_t, 14> kDocumented = {1000, 1001, 1002, 1003, 1005, 1006, 1007,
                                                             1009, 1011, 1013, 4001, 4003, 4008, 4029};
    return std::find(kDocumented.begin(), kDocumented.end(), code) != kDocumented.end() ? std::to_string(code)
                                                                                        : "other";
}

void append_frame(std::string& out, Opcode opcode, std::string_view payload) {
    std::array<char, 10> header;
    size_t size = write_frame_header(opcode, payload.size(), header);
    out.append(header.data(), size);
    out.append(payload);
}

}  // namespace

WsConnection::WsConnection(std::unique_ptr<TlsTransport> transport, const EdgeWiring& edge, Sweep& sweep,
                           std::string first_bytes)
    : Sweep::Member(sweep),
      transport_(std::move(transport)),
      edge_(edge),
      frames_(edge.config->max_message_bytes),
      staged_(std::move(first_bytes)),
      last_heard_(Sweep::Clock::now()) {}

lanchat_status_code WsConnection::send(Payload text) {
    // Once one message was refused, every later one is too: a smaller one taken after it would leave the
    // client a hole it cannot see (it resumes from the highest sequence it has). The connection is closing.
    if (over_limit_.load()) return LANCHAT_RESOURCE_EXHAUSTED;
    size_t size = text->size();
    // The limit holds for one message too: a frame larger than the whole queue would be that much memory per
    // connection (the gateway cuts its replies well below it: max_reply_bytes).
    size_t before = queued_bytes_.fetch_add(size);
    if (before + size > edge_.config->send_queue_bytes) {
        queued_bytes_ -= size;
        if (!over_limit_.exchange(true)) {
            asio::post(transport_->get_executor(), [self = shared_from_this()] {
                self->drop_outbox();
                self->begin_close(kCloseSlowReader, "send queue over its limit: the client does not read", true);
            });
        }
        return LANCHAT_RESOURCE_EXHAUSTED;
    }
    bool post = false;
    {
        std::lock_guard lock(outbox_mutex_);
        outbox_.push_back(std::move(text));
        post = !std::exchange(flush_posted_, true);  // one wake-up per burst, however many messages it has
    }
    if (post) asio::post(transport_->get_executor(), [self = shared_from_this()] { self->flush(); });
    return LANCHAT_OK;
}

void WsConnection::close(uint16_t code, std::string reason) {
    asio::post(transport_->get_executor(), [self = shared_from_this(), code, reason = std::move(reason)]() mutable {
        self->begin_close(code, std::move(reason), true);
    });
}

void WsConnection::abort() {
    asio::post(transport_->get_executor(), [self = shared_from_this()] { self->end(); });
}

asio::awaitable<void> WsConnection::run(lanchat_connection_id id, std::string early) {
    auto self = shared_from_this();
    error_code error;
    // However run ends - its loop, an exception, or the event loop destroying it suspended at shutdown - the
    // connection leaves its sweep and the dispatcher hears of its end, which drops its reference too.
    Release release{*this, id, error};
    flush();  // before anything `early` asks for: a pong must not overtake the 101
    consume(early, id);
    while (!finished_) {
        std::span<char> buffer = loop_read_buffer();
        size_t got = co_await transport_->read_some(buffer, error);
        if (error) break;
        last_heard_ = Sweep::Clock::now();
        pinged_ = false;
        consume({buffer.data(), got}, id);
    }
}

WsConnection::Release::~Release() { connection.release(id, error); }

void WsConnection::release(lanchat_connection_id id, const error_code& error) {
    finished_ = true;
    leave();  // here, on the loop (or the thread destroying it): the last reference may go on a plugin's thread
    drop_outbox();
    transport_->close();
    auto [code, reason] = ending(error);
    edge_.closed_codes->add({close_code_label(code)}, 1);
    edge_.dispatcher->closed(id, code, reason);
}

void WsConnection::consume(std::string_view bytes, lanchat_connection_id id) {
    size_t messages = 0;
    bool pinged = false;
    while (auto event = frames_.next(bytes)) {
        switch (event->kind) {
            case FrameEvent::Kind::text:
                ++messages;
                if (!our_close_) edge_.dispatcher->message(id, event->payload);
                break;
            case FrameEvent::Kind::ping:
                if (!close_staged_) pong_due_.emplace(event->payload);
                pinged = true;
                break;
            case FrameEvent::Kind::pong: break;
            case FrameEvent::Kind::close:
                peer_close_ = Ending{event->code, std::string(event->payload)};
                stop_sending_after_close_ = true;
                if (close_written_ && !writing_) {
                    transport_->finish_sending();  // our close was answered: the handshake is complete
                } else {
                    begin_close(event->code, "", false);  // echoes the code (RFC 6455 5.5.1), unless ours is staged
                }
                break;
            case FrameEvent::Kind::violation:
                stop_sending_after_close_ = true;  // what it sends after this is not read
                begin_close(event->code, std::string(event->payload), true);
                break;
        }
    }
    if (messages > 0) edge_.frames->add({"in"}, static_cast<double>(messages));
    if (pinged) flush();  // one write answers every ping this read brought
}

void WsConnection::stage_frame(Opcode opcode, std::string_view payload) { append_frame(staged_, opcode, payload); }

void WsConnection::begin_close(uint16_t code, std::string reason, bool ours) {
    if (close_staged_ || finished_) return;
    reason.resize(close_reason_within_limit(reason).size());
    if (ours) our_close_ = Ending{code, reason};
    // What was queued before the close was asked for still goes first; nothing queued after it does.
    {
        std::lock_guard lock(outbox_mutex_);
        size_t staged_bytes = 0;
        for (const Payload& message : outbox_) {
            append_frame(staged_, Opcode::text, *message);
            staged_bytes += message->size();
        }
        queued_bytes_ -= staged_bytes;
        outbox_.clear();
    }
    std::array<char, 2 + kMaxCloseReason> payload;
    payload[0] = static_cast<char>(code >> 8);
    payload[1] = static_cast<char>(code & 0xFF);
    reason.copy(payload.data() + 2, reason.size());
    // 1005 names a close without a code; it is never sent as one.
    size_t payload_size = code == kCloseNoCode ? 0 : 2 + reason.size();
    stage_frame(Opcode::close, {payload.data(), payload_size});
    close_staged_ = true;
    // A client that reads nothing never takes the close frame: the sweep ends the connection anyway.
    close_deadline_ = Sweep::Clock::now() + edge_.config->handshake_timeout;
    flush();
}

void WsConnection::drop_outbox() {
    std::lock_guard lock(outbox_mutex_);
    for (const Payload& message : outbox_) queued_bytes_ -= message->size();
    outbox_.clear();
}

void WsConnection::flush() {
    if (writing_ || finished_) return;
    std::string& out = loop_write_buffer();
    out.clear();
    bool close_in_this_write = close_staged_ && !close_written_;
    if (pong_due_) {
        if (!close_written_) append_frame(out, Opcode::pong, *pong_due_);
        pong_due_.reset();
    }
    out.append(staged_);
    staged_.clear();
    size_t payload_bytes = 0;
    size_t messages = 0;
    {
        std::lock_guard lock(outbox_mutex_);
        flush_posted_ = false;
        if (!close_staged_) {
            for (const Payload& message : outbox_) {
                append_frame(out, Opcode::text, *message);
                payload_bytes += message->size();
            }
            messages = outbox_.size();
            outbox_.clear();
        }
    }
    if (out.empty()) return;
    if (close_in_this_write) close_written_ = true;
    edge_.writes->add({}, 1);
    if (messages > 0) edge_.frames->add({"out"}, static_cast<double>(messages));
    switch (transport_->try_write(out)) {
        case TlsTransport::WriteOutcome::written:
            queued_bytes_ -= payload_bytes;
            written();
            return;
        case TlsTransport::WriteOutcome::blocked:
            pending_.assign(out);
            pending_payload_bytes_ = payload_bytes;
            writing_ = true;
            write_deadline_ = Sweep::Clock::now() + edge_.config->write_timeout;
            transport_->when_write_can_continue(
                [self = shared_from_this()](error_code error) { self->continue_write(error); });
            return;
        case TlsTransport::WriteOutcome::failed:
            queued_bytes_ -= payload_bytes;
            end();
            return;
    }
}

void WsConnection::continue_write(error_code error) {
    if (error || finished_) {
        end();
        return;
    }
    switch (transport_->try_write(pending_)) {
        case TlsTransport::WriteOutcome::written:
            queued_bytes_ -= pending_payload_bytes_;
            pending_payload_bytes_ = 0;
            std::string().swap(pending_);  // a connection that caught up keeps no write buffer
            writing_ = false;
            write_deadline_ = Sweep::Clock::time_point::max();
            written();
            flush();  // whatever was queued meanwhile
            return;
        case TlsTransport::WriteOutcome::blocked:
            transport_->when_write_can_continue(
                [self = shared_from_this()](error_code next) { self->continue_write(next); });
            return;
        case TlsTransport::WriteOutcome::failed: end(); return;
    }
}

void WsConnection::written() {
    if (close_written_ && stop_sending_after_close_) transport_->finish_sending();
}

void WsConnection::tick(Sweep::Clock::time_point now) {
    if (finished_) return;
    if (now >= close_deadline_) {
        end();
        return;
    }
    if (now >= write_deadline_) {
        // The close frame could not get past the stuck write: the end is reported with the code alone.
        if (!our_close_)
            our_close_ = Ending{kCloseSlowReader, "a write was not taken in time: the client does not read"};
        end();
        return;
    }
    auto quiet = now - last_heard_;
    auto idle = edge_.config->idle_timeout;
    if (close_staged_) return;
    if (quiet >= idle) {
        idle_timed_out_ = true;
        end();
    } else if (!pinged_ && quiet >= idle / 2) {
        pinged_ = true;  // half the idle time without a byte: ask, and give the other half for the answer
        stage_frame(Opcode::ping, {});
        flush();
    }
}

void WsConnection::end() { transport_->close(); }

WsConnection::Ending WsConnection::ending(const error_code& error) const {
    if (our_close_) return *our_close_;
    if (peer_close_) return *peer_close_;
    if (idle_timed_out_) return {1006, "idle timeout: no answer to pings"};
    return {1006, error.message()};
}

}  // namespace lanchat::host::edge

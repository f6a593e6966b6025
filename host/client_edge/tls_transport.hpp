// TLS over one non-blocking TCP socket: OpenSSL driven directly by the event loop's readiness waits
// (socket.async_wait) instead of asio::ssl::stream, which keeps two 17 KiB buffers per connection for its
// whole life. Here OpenSSL releases its record buffers while idle (SSL_MODE_RELEASE_BUFFERS) and the caller
// reads into a buffer of the event loop's, so an idle connection costs little more than its SSL object.
// Every call runs on the socket's event loop; a read and a write may be in progress at the same time.
#pragma once

#include <openssl/ssl.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>
#include <span>
#include <string_view>

namespace lanchat::host::edge {

// The event loop's read buffer: one TLS record's plaintext. A caller fills it with read_some and consumes it
// before it next suspends, so every connection of the loop shares it and none keeps one while idle.
std::span<char> loop_read_buffer();

class TlsTransport {
public:
    TlsTransport(boost::asio::ip::tcp::socket socket, SSL_CTX* context);
    ~TlsTransport();
    TlsTransport(const TlsTransport&) = delete;
    TlsTransport& operator=(const TlsTransport&) = delete;

    // The server's side of the TLS handshake.
    boost::asio::awaitable<boost::system::error_code> handshake();
    // Waits until some plaintext is there and reads it into `into`; at the end: 0 and an error (eof when the
    // peer closed, cleanly or not).
    boost::asio::awaitable<size_t> read_some(std::span<char> into, boost::system::error_code& error);

    enum class WriteOutcome { written, blocked, failed };
    // Writes all of `bytes` without waiting if the socket takes them. Blocked: call again with the same bytes
    // (they may have moved) once write_blocked() completes.
    WriteOutcome try_write(std::string_view bytes);
    // Waits until the blocked write can go on (readable or writable, as OpenSSL asked).
    template <class Handler>
    void when_write_can_continue(Handler&& handler) {
        socket_.async_wait(write_wants_read_ ? socket_.wait_read : socket_.wait_write, std::forward<Handler>(handler));
    }
    // Writes all of `bytes`, waiting as needed; `bytes` must stay valid until it completes.
    boost::asio::awaitable<boost::system::error_code> write(std::string_view bytes);

    // Sends close_notify (one attempt, no wait) and the TCP FIN; reading goes on until the peer ends too.
    void finish_sending();
    void close();  // the socket, now: every wait in progress completes with operation_aborted
    bool is_open() const { return socket_.is_open(); }

    SSL* native_handle() { return ssl_; }
    boost::asio::any_io_executor get_executor() { return socket_.get_executor(); }

private:
    boost::asio::ip::tcp::socket socket_;
    SSL* ssl_ = nullptr;
    bool write_wants_read_ = false;
};

}  // namespace lanchat::host::edge

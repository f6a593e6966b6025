#include "client_edge/tls_transport.hpp"

#include <openssl/err.h>

#include <array>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>

namespace lanchat::host::edge {
namespace asio = boost::asio;
using boost::system::error_code;

namespace {

// What to do after an OpenSSL call returned `result`: go on waiting for the socket, or stop with an error.
enum class Next { wait_read, wait_write, done, failed };

Next after(SSL* ssl, int result, error_code& error) {
    switch (SSL_get_error(ssl, result)) {
        case SSL_ERROR_NONE: return Next::done;
        case SSL_ERROR_WANT_READ: return Next::wait_read;
        case SSL_ERROR_WANT_WRITE: return Next::wait_write;
        case SSL_ERROR_ZERO_RETURN: error = asio::error::eof; return Next::failed;
        case SSL_ERROR_SYSCALL:
            // errno 0: the peer went without a close_notify, which is an end like any other here. (OpenSSL 3
            // reports that as ZERO_RETURN instead, with SSL_OP_IGNORE_UNEXPECTED_EOF set in server_tls.cpp.)
            error = errno == 0 ? error_code(asio::error::eof) : error_code(errno, boost::system::system_category());
            return Next::failed;
        default:
            error = error_code(static_cast<int>(ERR_get_error()), asio::error::get_ssl_category());
            if (!error) error = asio::error::connection_aborted;
            return Next::failed;
    }
}

asio::awaitable<error_code> wait(asio::ip::tcp::socket& socket, Next next) {
    error_code error;
    co_await socket.async_wait(next == Next::wait_read ? socket.wait_read : socket.wait_write,
                               asio::redirect_error(asio::use_awaitable, error));
    co_return error;
}

}  // namespace

std::span<char> loop_read_buffer() {
    thread_local std::array<char, 16 * 1024> buffer;
    return buffer;
}

TlsTransport::TlsTransport(asio::ip::tcp::socket socket, SSL_CTX* context) : socket_(std::move(socket)) {
    error_code ignored;
    socket_.non_blocking(true, ignored);
    ssl_ = SSL_new(context);
    if (ssl_ != nullptr) {
        SSL_set_fd(ssl_, static_cast<int>(socket_.native_handle()));
        SSL_set_mode(ssl_, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    }
}

TlsTransport::~TlsTransport() {
    if (ssl_ != nullptr) SSL_free(ssl_);  // the socket closes itself after
}

asio::awaitable<error_code> TlsTransport::handshake() {
    if (ssl_ == nullptr) co_return error_code(asio::error::no_memory);
    for (;;) {
        // The handshake deadline may have closed the socket while we waited: its descriptor may be another
        // connection's by now.
        if (!socket_.is_open()) co_return error_code(asio::error::operation_aborted);
        ERR_clear_error();  // the error queue is the thread's, shared by every connection on this loop
        error_code error;
        Next next = after(ssl_, SSL_accept(ssl_), error);
        if (next == Next::done || next == Next::failed) co_return error;
        if (error_code waited = co_await wait(socket_, next)) co_return waited;
    }
}

asio::awaitable<size_t> TlsTransport::read_some(std::span<char> into, error_code& error) {
    for (;;) {
        if (!socket_.is_open()) {  // closed: the SSL object's descriptor may already be another socket's
            error = asio::error::operation_aborted;
            co_return 0;
        }
        ERR_clear_error();
        size_t got = 0;
        Next next = after(ssl_, SSL_read_ex(ssl_, into.data(), into.size(), &got), error);
        if (next == Next::done) co_return got;
        if (next == Next::failed) co_return 0;
        if ((error = co_await wait(socket_, next))) co_return 0;
    }
}

TlsTransport::WriteOutcome TlsTransport::try_write(std::string_view bytes) {
    if (!socket_.is_open()) return WriteOutcome::failed;
    ERR_clear_error();
    size_t written = 0;
    error_code error;
    Next next = after(ssl_, SSL_write_ex(ssl_, bytes.data(), bytes.size(), &written), error);
    if (next == Next::done) return WriteOutcome::written;
    if (next == Next::failed) return WriteOutcome::failed;
    write_wants_read_ = next == Next::wait_read;
    return WriteOutcome::blocked;
}

asio::awaitable<error_code> TlsTransport::write(std::string_view bytes) {
    for (;;) {
        switch (try_write(bytes)) {
            case WriteOutcome::written: co_return error_code{};
            case WriteOutcome::failed: co_return error_code(asio::error::connection_reset);
            case WriteOutcome::blocked: break;
        }
        if (error_code waited = co_await wait(socket_, write_wants_read_ ? Next::wait_read : Next::wait_write)) {
            co_return waited;
        }
    }
}

void TlsTransport::finish_sending() {
    if (ssl_ == nullptr || !socket_.is_open()) return;
    ERR_clear_error();
    SSL_shutdown(ssl_);
    error_code ignored;
    socket_.shutdown(socket_.shutdown_send, ignored);
}

void TlsTransport::close() {
    error_code ignored;
    socket_.shutdown(socket_.shutdown_both, ignored);
    socket_.close(ignored);
}

}  // namespace lanchat::host::edge

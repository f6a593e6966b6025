#include "admin/admin_server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <thread>

#include "admin/request_origin.hpp"
#include "lanchat/pki/subject_names.hpp"
#include "logging/log.hpp"
#include "net/listen.hpp"
#include "net/revocation.hpp"
#include "net/server_tls_policy.hpp"

namespace lanchat::host::admin {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

namespace {

constexpr auto kTimeout = std::chrono::seconds(10);
constexpr size_t kHeaderLimit = 8 * 1024;
constexpr uint64_t kBodyLimit = 1024;

http::response<http::string_body> to_http(const Response& response, unsigned version) {
    http::response<http::string_body> out{static_cast<http::status>(response.status), version};
    out.set(http::field::server, "lanchatd");
    out.set(http::field::content_type, response.content_type);
    out.set(http::field::cache_control, "no-store");
    out.keep_alive(false);
    out.body() = response.body;
    out.prepare_payload();
    return out;
}

std::string_view header(const http::request<http::string_body>& request, http::field field) {
    auto found = request.find(field);
    return found == request.end() ? std::string_view{} : std::string_view(found->value().data(), found->value().size());
}

Response refused(unsigned status, std::string why) {
    return {status, "text/plain; charset=utf-8", std::move(why) + "\n"};
}

}  // namespace

struct AdminServer::Impl {
    asio::io_context io{1};
    tcp::acceptor acceptor{io};
    std::optional<asio::ssl::context> tls_context;
    std::optional<Tls> tls;
    Handler handler;
    NodeLog* log = nullptr;
    std::string address;
    std::thread thread;

    // Reads one request from `stream`, answers it, and closes (no keep-alive: operators' tools and scrapers).
    template <class Stream>
    asio::awaitable<void> serve(Stream& stream, std::string peer) {
        beast::flat_buffer buffer;
        http::request_parser<http::string_body> parser;
        parser.header_limit(kHeaderLimit);
        parser.body_limit(kBodyLimit);
        beast::error_code error;
        co_await http::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, error));
        Response response;
        unsigned version = 11;
        if (error) {
            response = refused(400, "bad request: " + error.message());
        } else {
            const auto& request = parser.get();
            version = request.version();
            const auto foreign = foreign_request(header(request, http::field::host),
                                                 header(request, http::field::origin), address, tls.has_value());
            if (foreign) {
                response = refused(403, "refused: " + *foreign);
                log->warn("refused an admin request from a web page",
                          {{"reason", *foreign}, {"target", std::string(request.target())}});
            } else if (tls && peer.rfind(tls->operator_prefix, 0) != 0) {
                response = refused(403, "this endpoint needs an operator certificate (" + tls->operator_prefix +
                                            "<name>); got " + (peer.empty() ? std::string("none") : peer));
                log->warn("refused an admin request",
                          {{"peer", peer.empty() ? "(none)" : peer}, {"target", std::string(request.target())}});
            } else {
                response = handler({std::string(request.method_string()), std::string(request.target()), peer});
            }
        }
        auto reply = to_http(response, version);
        co_await http::async_write(stream, reply, asio::redirect_error(asio::use_awaitable, error));
    }

    asio::awaitable<void> session(tcp::socket socket) {
        beast::tcp_stream stream(std::move(socket));
        stream.expires_after(kTimeout);
        if (!tls_context) {
            co_await serve(stream, {});
            beast::error_code ignored;
            stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
            co_return;
        }
        beast::ssl_stream<beast::tcp_stream> secure(std::move(stream), *tls_context);
        beast::error_code error;
        co_await secure.async_handshake(asio::ssl::stream_base::server,
                                        asio::redirect_error(asio::use_awaitable, error));
        if (error) {
            log->warn("refused an admin TLS handshake", {{"reason", error.message()}});
            co_return;
        }
        X509* certificate = SSL_get1_peer_certificate(secure.native_handle());
        std::string peer = certificate != nullptr ? pki::spiffe_id(certificate) : std::string();
        X509_free(certificate);
        co_await serve(secure, peer);
        co_await secure.async_shutdown(asio::redirect_error(asio::use_awaitable, error));
    }

    asio::awaitable<void> accept_loop() {
        for (;;) {
            beast::error_code error;
            tcp::socket socket = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, error));
            if (error == asio::error::operation_aborted) co_return;
            if (error) continue;
            asio::co_spawn(io, session(std::move(socket)), asio::detached);
        }
    }
};

AdminServer::AdminServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

AdminServer::~AdminServer() {
    asio::post(impl_->io, [impl = impl_.get()] {
        beast::error_code ignored;
        impl->acceptor.close(ignored);
    });
    impl_->io.stop();
    if (impl_->thread.joinable()) impl_->thread.join();
}

const std::string& AdminServer::address() const { return impl_->address; }
bool AdminServer::https() const { return impl_->tls_context.has_value(); }

sdk::Result<std::unique_ptr<AdminServer>> AdminServer::start(const std::string& listen, std::optional<Tls> tls,
                                                             Handler handler, NodeLog& log) {
    if (!is_loopback(listen) && !tls) {
        return sdk::invalid_argument("[admin] listen = \"" + listen +
                                     "\" is not loopback, so it needs HTTPS with "
                                     "operator certificates: add a [mesh] table with pki_dir");
    }
    auto impl = std::make_unique<Impl>();
    impl->handler = std::move(handler);
    impl->log = &log;
    impl->tls = tls;
    if (tls) {
        impl->tls_context.emplace(asio::ssl::context::tls_server);
        if (sdk::Status policy = net::apply_server_tls_policy(impl->tls_context->native_handle(), "[admin]");
            !policy.ok())
            return policy;
        beast::error_code error;
        impl->tls_context->use_certificate_chain_file(tls->certificate.string(), error);
        if (!error) impl->tls_context->use_private_key_file(tls->key.string(), asio::ssl::context::pem, error);
        if (!error) impl->tls_context->load_verify_file(tls->ca.string(), error);
        if (error)
            return sdk::failed_precondition("[admin] HTTPS: " + error.message() + " (" + tls->certificate.string() +
                                            ")");
        impl->tls_context->set_verify_mode(asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert);
        net::refuse_revoked_peers(*impl->tls_context, tls->revocations, "[admin]");
    }
    if (sdk::Status bound = net::listen_on(impl->acceptor, listen, "[admin] listen"); !bound.ok()) return bound;
    impl->address = net::endpoint_text(impl->acceptor.local_endpoint());
    asio::co_spawn(impl->io, impl->accept_loop(), asio::detached);
    impl->thread = std::thread([io = &impl->io] { io->run(); });
    return std::unique_ptr<AdminServer>(new AdminServer(std::move(impl)));
}

}  // namespace lanchat::host::admin

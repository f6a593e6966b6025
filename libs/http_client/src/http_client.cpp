#include "lanchat/http_client/http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace lanchat::http_client {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using Outcome = std::variant<Response, Failure>;

Failure failure(Stage stage, const beast::error_code& error) { return {stage, error.message()}; }

http::request<http::string_body> to_beast(const Server& server, const Request& request) {
    http::request<http::string_body> message{http::string_to_verb(request.method), request.target, 11};
    // RFC 9110 7.2: the Host names the port too; the admin endpoint checks it against its own.
    const bool v6 = server.host.find(':') != std::string::npos;
    message.set(http::field::host, (v6 ? "[" + server.host + "]" : server.host) + ":" + server.port);
    message.set(http::field::user_agent, request.user_agent);
    message.set(http::field::connection, "close");
    for (const auto& [name, value] : request.headers) message.set(name, value);
    if (!request.body.empty()) {
        message.set(http::field::content_type, request.content_type);
        message.body() = request.body;
    }
    message.prepare_payload();
    return message;
}

template <class Stream>
Outcome exchange(Stream& stream, const Server& server, const Request& request) {
    beast::error_code error;
    http::write(stream, to_beast(server, request), error);
    if (error) return failure(Stage::exchange, error);
    beast::flat_buffer buffer;
    http::response<http::string_body> response;
    http::read(stream, buffer, response, error);
    if (error) return failure(Stage::exchange, error);
    return Response{response.result_int(), std::string(response[http::field::content_type]), response.body()};
}

Outcome send_plain(asio::io_context& io, const tcp::resolver::results_type& endpoints, const Server& server,
                   const Request& request, std::chrono::milliseconds timeout) {
    beast::tcp_stream stream(io);
    stream.expires_after(timeout);
    beast::error_code error;
    stream.connect(endpoints, error);
    if (error) return failure(Stage::connect, error);
    Outcome outcome = exchange(stream, server, request);
    stream.socket().shutdown(tcp::socket::shutdown_both, error);
    return outcome;
}

Outcome send_tls(asio::io_context& io, const tcp::resolver::results_type& endpoints, const Server& server,
                 const Request& request, std::chrono::milliseconds timeout) {
    const TlsFiles& files = *server.tls;
    asio::ssl::context context(asio::ssl::context::tls_client);
    beast::error_code error;
    context.load_verify_file(files.ca.string(), error);
    if (!error && !files.certificate.empty()) context.use_certificate_chain_file(files.certificate.string(), error);
    if (!error && !files.key.empty()) context.use_private_key_file(files.key.string(), asio::ssl::context::pem, error);
    if (error) return failure(Stage::tls_setup, error);
    context.set_verify_mode(asio::ssl::verify_peer);
    beast::ssl_stream<beast::tcp_stream> stream(io, context);
    beast::get_lowest_layer(stream).expires_after(timeout);
    beast::get_lowest_layer(stream).connect(endpoints, error);
    if (error) return failure(Stage::connect, error);
    stream.handshake(asio::ssl::stream_base::client, error);
    if (error) return failure(Stage::tls_handshake, error);
    Outcome outcome = exchange(stream, server, request);
    stream.shutdown(error);  // a server that closes first is not an error worth reporting
    return outcome;
}

}  // namespace

Outcome send(const Server& server, const Request& request, std::chrono::milliseconds timeout) {
    try {
        asio::io_context io;
        tcp::resolver resolver(io);
        beast::error_code error;
        auto endpoints = resolver.resolve(server.host, server.port, error);
        if (error) return failure(Stage::resolve, error);
        return server.tls ? send_tls(io, endpoints, server, request, timeout)
                          : send_plain(io, endpoints, server, request, timeout);
    } catch (const std::exception& e) {
        return Failure{Stage::exchange, e.what()};
    }
}

}  // namespace lanchat::http_client

#include "admin_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace lanchat::ctl {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

namespace {

struct Url {
    bool https = false;
    std::string host;
    std::string port;
};

std::optional<Url> parse(const std::string& url) {
    Url parsed;
    std::string rest;
    if (url.rfind("http://", 0) == 0) {
        rest = url.substr(7);
    } else if (url.rfind("https://", 0) == 0) {
        parsed.https = true;
        rest = url.substr(8);
    } else {
        return std::nullopt;
    }
    rest = rest.substr(0, rest.find('/'));
    size_t colon = rest.rfind(':');
    if (colon == std::string::npos || colon == 0) return std::nullopt;
    parsed.host = rest.substr(0, colon);
    parsed.port = rest.substr(colon + 1);
    if (parsed.host.front() == '[') parsed.host = parsed.host.substr(1, parsed.host.size() - 2);
    return parsed;
}

template <class Stream>
AdminReply exchange(Stream& stream, const std::string& host, const std::string& method, const std::string& path) {
    http::request<http::empty_body> request{http::string_to_verb(method), path, 11};
    request.set(http::field::host, host);
    request.set(http::field::user_agent, "lanchatctl");
    http::write(stream, request);
    beast::flat_buffer buffer;
    http::response<http::string_body> response;
    http::read(stream, buffer, response);
    return {response.result_int(), response.body()};
}

}  // namespace

sdk::Result<AdminReply> admin_request(const AdminTarget& target, const std::string& method, const std::string& path) {
    auto url = parse(target.url);
    if (!url) return sdk::invalid_argument("admin URL '" + target.url + "' must be http://host:port or https://host:port");
    const std::string where = "the admin endpoint at " + target.url;
    try {
        asio::io_context io;
        tcp::resolver resolver(io);
        beast::error_code error;
        auto endpoints = resolver.resolve(url->host, url->port, error);
        if (error) return sdk::unavailable("cannot resolve " + where + ": " + error.message());
        if (!url->https) {
            beast::tcp_stream stream(io);
            stream.expires_after(std::chrono::seconds(10));
            stream.connect(endpoints, error);
            if (error) {
                return sdk::unavailable("cannot reach " + where + ": " + error.message() +
                                        " (is lanchatd running with an [admin] table?)");
            }
            return exchange(stream, url->host, method, path);
        }
        if (target.certificate.empty() || target.ca.empty()) {
            return sdk::invalid_argument(where + " is HTTPS: give --pki DIR --operator NAME (or --ca, --cert, --key)");
        }
        asio::ssl::context context(asio::ssl::context::tls_client);
        context.load_verify_file(target.ca.string());
        context.use_certificate_chain_file(target.certificate.string());
        context.use_private_key_file(target.key.string(), asio::ssl::context::pem);
        context.set_verify_mode(asio::ssl::verify_peer);
        beast::ssl_stream<beast::tcp_stream> stream(io, context);
        beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(10));
        beast::get_lowest_layer(stream).connect(endpoints, error);
        if (error) return sdk::unavailable("cannot reach " + where + ": " + error.message());
        stream.handshake(asio::ssl::stream_base::client, error);
        if (error) {
            return sdk::Status(sdk::Code::unauthenticated,
                               "the node at " + target.url + " refused the TLS handshake: " + error.message() +
                                   " (is " + target.certificate.string() + " an operator certificate from its PKI?)");
        }
        AdminReply reply = exchange(stream, url->host, method, path);
        stream.shutdown(error);
        return reply;
    } catch (const std::exception& e) {
        return sdk::unavailable("talking to " + where + " failed: " + e.what());
    }
}

}  // namespace lanchat::ctl

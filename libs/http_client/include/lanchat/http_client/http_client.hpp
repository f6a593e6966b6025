// One HTTP(S) request on a connection of its own: what lanchatctl asks a node's admin endpoint, and what the
// tests and benchmarks ask it. Beast does the work inside http_client.cpp; this header stays plain so a
// program that includes it does not pay Beast's compile time.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace lanchat::http_client {

// Client-side TLS: the CA that must have signed the server's certificate, and the client's own
// certificate and key (mutual TLS). An empty certificate path sends no client certificate.
struct TlsFiles {
    std::filesystem::path ca;
    std::filesystem::path certificate;
    std::filesystem::path key;
};

struct Server {
    std::string host;  // a name or an IP literal, IPv6 without brackets
    std::string port;
    std::optional<TlsFiles> tls;  // absent: plain HTTP
};

struct Request {
    std::string method = "GET";
    std::string target = "/";  // path and query
    std::string body;
    std::string content_type;  // sent only with a body
    std::string user_agent = "lanchat";
    // Further header fields, set last: one named "Host" replaces the default (the server's host:port).
    std::vector<std::pair<std::string, std::string>> headers;
};

struct Response {
    unsigned status = 0;
    std::string content_type;
    std::string body;
};

// Where a request that got no response stopped, so a caller can say what to check.
enum class Stage {
    resolve,        // the host name did not resolve
    connect,        // nothing accepted the connection
    tls_setup,      // the CA, certificate or key file could not be loaded
    tls_handshake,  // the server (or we) refused the TLS handshake; with TLS 1.3 a server that refuses
                    // our certificate is only heard at the exchange
    exchange,       // the connection broke, timed out or the answer was not HTTP
};

struct Failure {
    Stage stage = Stage::exchange;
    std::string reason;  // the system's or OpenSSL's words, e.g. "Connection refused"
};

// Connects, sends `request` (HTTP/1.1), reads one response and closes. Every step shares `timeout`.
// Never throws.
std::variant<Response, Failure> send(const Server& server, const Request& request,
                                     std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace lanchat::http_client

#include "client_edge/http_answer.hpp"

#include <sstream>
#include <string>

namespace lanchat::host::edge {
namespace http = boost::beast::http;

http::response<http::string_body> http_response(const http::request<http::empty_body>& request,
                                                abi::HttpAnswer answer) {
    http::response<http::string_body> response{http::status::not_found, request.version()};
    unsigned status = answer.status == 0 ? 404 : answer.status;
    if (status < 100 || status > 599) status = 500;
    response.result(status);
    response.set(http::field::server, "lanchatd");
    response.set(http::field::content_type,
                 answer.content_type.empty() ? "text/plain; charset=utf-8" : answer.content_type);
    response.set(http::field::cache_control, answer.cache_control.empty() ? "no-store" : answer.cache_control);
    if (!answer.etag.empty()) response.set(http::field::etag, answer.etag);
    response.set("X-Content-Type-Options", "nosniff");
    response.set("Referrer-Policy", "no-referrer");
    response.set("Content-Security-Policy",
                 "default-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'");
    if (status == 404 && answer.body.empty()) answer.body = "not found: " + std::string(request.target()) + "\n";
    response.keep_alive(request.keep_alive());
    if (request.method() == http::verb::head || status == 304) {
        response.content_length(answer.body.size());
    } else {
        response.body() = std::move(answer.body);
        response.prepare_payload();
    }
    return response;
}

http::response<http::string_body> plain_answer(http::status status, unsigned version, std::string text) {
    http::response<http::string_body> answer{status, version};
    answer.set(http::field::server, "lanchatd");
    answer.set(http::field::content_type, "text/plain; charset=utf-8");
    answer.body() = std::move(text) + "\n";
    answer.keep_alive(false);
    answer.prepare_payload();
    return answer;
}

std::string wire_bytes(const http::response<http::string_body>& response) {
    std::ostringstream out;
    out << response;
    return std::move(out).str();
}

}  // namespace lanchat::host::edge

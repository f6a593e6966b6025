// The client edge before the upgrade: a request header parsed from bytes as reads deliver them (pieces the
// input chooses), then what the edge answers it: the refusal or the 101 of an upgrade, the response built
// around a plugin's answer, or the 400 for bytes that are no request.
#include <fuzzer/FuzzedDataProvider.h>

#include <boost/beast/websocket/rfc6455.hpp>
#include <string>

#include "client_edge/http_answer.hpp"
#include "client_edge/request_header.hpp"
#include "client_edge/ws_handshake.hpp"

namespace {

namespace edge = lanchat::host::edge;
namespace http = boost::beast::http;

void answer(const http::request<http::empty_body>& request, uint16_t plugin_status) {
    if (boost::beast::websocket::is_upgrade(request)) {
        if (auto refusal = edge::upgrade_refusal(request)) {
            (void)edge::wire_bytes(edge::plain_answer(refusal->status, request.version(), refusal->why));
        } else {
            (void)edge::switching_protocols(request[http::field::sec_websocket_key]);
        }
        return;
    }
    lanchat::host::abi::HttpAnswer given;
    given.status = plugin_status;
    given.body = std::string(request.target());
    given.etag = std::string(request[http::field::if_none_match]);
    (void)edge::wire_bytes(edge::http_response(request, std::move(given)));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    FuzzedDataProvider input(data, size);
    auto plugin_status = input.ConsumeIntegral<uint16_t>();
    std::string carry;
    while (input.remaining_bytes() > 0) {
        edge::RequestParser parser;
        boost::system::error_code error;
        while (!edge::parse_request_bytes(parser, carry, error) && input.remaining_bytes() > 0) {
            carry += input.ConsumeRandomLengthString(512);
        }
        if (error) {
            (void)edge::wire_bytes(
                edge::plain_answer(http::status::bad_request, 11, "bad request: " + error.message()));
            return 0;
        }
        if (!parser.is_done()) return 0;
        auto request = parser.release();
        answer(request, plugin_status);
    }
    return 0;
}

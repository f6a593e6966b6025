#include "abi/http_exchange.hpp"

#include "abi/sink.hpp"
#include "abi/slice.hpp"

namespace lanchat::host::abi {

HttpAnswer exchange_http(const lanchat_client_edge_handler& handler, const HttpRequest& request) {
    StringSink content_type, cache_control, etag, body;
    lanchat_http_request in{sizeof(lanchat_http_request), to_str(request.method), to_str(request.target),
                            to_str(request.peer_address), to_str(request.if_none_match)};
    lanchat_http_response out{sizeof(lanchat_http_response), 0,          content_type.get(),
                              cache_control.get(),           etag.get(), body.get()};
    handler.http(handler.user, &in, &out);
    return {out.status, std::move(content_type.text()), std::move(cache_control.text()), std::move(etag.text()),
            std::move(body.text())};
}

}  // namespace lanchat::host::abi

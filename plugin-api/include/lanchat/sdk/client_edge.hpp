// The client edge (ABI 1.3; send_many 1.5): people's WebSocket/TLS connections and HTTPS requests on the node's
// [client_edge] listener. The host owns the sockets and the limits; the plugin that attaches handles what
// arrives and answers with send(). Connections outlive a reload of that plugin: the successor is handed each
// of them with `adopted` set and the session bytes stored with set_session().
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "lanchat/plugin_abi.h"
#include "lanchat/sdk/host.hpp"
#include "lanchat/sdk/sink.hpp"
#include "lanchat/sdk/status.hpp"

namespace lanchat::sdk {

using ConnectionId = lanchat_connection_id;

// What the host knows of a connection; the views are valid during the callback only.
struct Connection {
    ConnectionId id = 0;
    std::string_view peer_address;
    std::string_view device_fingerprint;  // SHA-256 hex of the verified client certificate, or empty
    std::string_view target;
    std::string_view session;  // as last stored with ClientEdge::set_session
    bool adopted = false;      // opened before this instance took over (a reload)
};

struct HttpRequest {
    std::string_view method;
    std::string_view target;
    std::string_view peer_address;
    std::string_view if_none_match;
};

struct HttpResponse {
    uint16_t status = 404;
    std::string content_type;   // empty: text/plain
    std::string cache_control;  // empty: no-store
    std::string etag;
    std::string body;
};

// Implemented by the plugin. Calls for one connection never overlap and come in order; none may block.
class ClientEdgeHandler {
public:
    virtual ~ClientEdgeHandler() = default;
    virtual void opened(const Connection& connection) = 0;
    virtual void message(const Connection& connection, std::string_view text) = 0;
    virtual void closed(ConnectionId id, uint16_t code, std::string_view reason) = 0;
    virtual HttpResponse http(const HttpRequest&) { return {}; }
};

class ClientEdge {
public:
    explicit ClientEdge(const Host& host) : api_(host.abi()), ctx_(host.abi_context()) {}

    // Attaches `handler` (which must live until the instance stops) as the node's client edge handler.
    Status attach(ClientEdgeHandler& handler) {
        if (api_->abi_minor < 3 || api_->client_edge == nullptr) {
            return {Code::failed_precondition, "the host is older than ABI 1.3 and has no client edge"};
        }
        handler_ = &handler;
        table_ = {sizeof(lanchat_client_edge_handler), this, &on_opened, &on_message, &on_closed, &on_http};
        StringSink error;
        auto code = api_->client_edge->attach(ctx_, &table_, error.get());
        return {static_cast<Code>(code), error.text()};
    }

    // OK, NOT_FOUND (gone) or RESOURCE_EXHAUSTED (the client does not read; the host closes it with 4008).
    lanchat_status_code send(ConnectionId id, std::string_view text) const {
        return api_->client_edge->send(ctx_, id, detail::to_abi(text));
    }
    // Queues `text` on every connection in `ids`; since ABI 1.5 the host keeps one copy for all of them (an
    // older host is sent it one connection at a time). `results` is empty or as long as `ids`: each outcome as
    // send() reports it. Returns OK when every connection queued it, else the first outcome that was not OK.
    lanchat_status_code send_many(std::span<const ConnectionId> ids, std::string_view text,
                                  std::span<lanchat_status_code> results = {}) const {
        if (!results.empty() && results.size() != ids.size()) return LANCHAT_INVALID_ARGUMENT;
        if (api_->abi_minor >= 5 && LANCHAT_HAS_FIELD(api_->client_edge, lanchat_client_edge_api, send_many)) {
            return api_->client_edge->send_many(ctx_, ids.data(), ids.size(), detail::to_abi(text),
                                                results.empty() ? nullptr : results.data());
        }
        lanchat_status_code first_failure = LANCHAT_OK;
        for (size_t i = 0; i < ids.size(); ++i) {
            lanchat_status_code outcome = send(ids[i], text);
            if (!results.empty()) results[i] = outcome;
            if (first_failure == LANCHAT_OK) first_failure = outcome;
        }
        return first_failure;
    }
    void set_session(ConnectionId id, std::string_view session) const {
        api_->client_edge->set_session(ctx_, id, {reinterpret_cast<const uint8_t*>(session.data()), session.size()});
    }
    // `code` is 1000 or 4000-4999; `reason` at most 120 bytes.
    void close(ConnectionId id, uint16_t code, std::string_view reason) const {
        api_->client_edge->close(ctx_, id, code, detail::to_abi(reason));
    }

private:
    static Connection from(const lanchat_connection_info* info) {
        return {
            info->id,
            detail::from_abi(info->peer_address),
            detail::from_abi(info->device_fingerprint),
            detail::from_abi(info->target),
            {reinterpret_cast<const char*>(info->session.data), info->session.data == nullptr ? 0 : info->session.size},
            info->adopted != 0};
    }
    // No exception crosses into the host: a handler that throws loses that connection (1011), not the node.
    template <class Call>
    static void guarded(void* user, ConnectionId id, Call call) noexcept {
        auto* edge = static_cast<ClientEdge*>(user);
        try {
            call(*edge->handler_);
        } catch (...) {
            if (id != 0) edge->api_->client_edge->close(edge->ctx_, id, 1011, detail::to_abi("internal error"));
        }
    }
    static void on_opened(void* user, const lanchat_connection_info* info) {
        guarded(user, info->id, [&](ClientEdgeHandler& handler) { handler.opened(from(info)); });
    }
    static void on_message(void* user, const lanchat_connection_info* info, lanchat_str text) {
        guarded(user, info->id,
                [&](ClientEdgeHandler& handler) { handler.message(from(info), detail::from_abi(text)); });
    }
    static void on_closed(void* user, lanchat_connection_id id, uint16_t code, lanchat_str reason) {
        guarded(user, 0, [&](ClientEdgeHandler& handler) { handler.closed(id, code, detail::from_abi(reason)); });
    }
    static void on_http(void* user, const lanchat_http_request* request, lanchat_http_response* response) {
        guarded(user, 0, [&](ClientEdgeHandler& handler) {
            HttpResponse answer =
                handler.http({detail::from_abi(request->method), detail::from_abi(request->target),
                              detail::from_abi(request->peer_address), detail::from_abi(request->if_none_match)});
            response->status = answer.status;
            write_to(response->content_type, answer.content_type);
            write_to(response->cache_control, answer.cache_control);
            write_to(response->etag, answer.etag);
            write_to(response->body, answer.body);
        });
    }

    const lanchat_host_api* api_;
    lanchat_host_context* ctx_;
    ClientEdgeHandler* handler_ = nullptr;
    lanchat_client_edge_handler table_{};
};

}  // namespace lanchat::sdk

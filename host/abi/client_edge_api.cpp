// lanchat_client_edge_api (since 1.3; send_many since 1.5): a plugin handles the node's client edge through the
// Dispatcher.
#include <cstddef>
#include <span>
#include <string_view>

#include "abi/sink.hpp"
#include "abi/slice.hpp"
#include "abi/tables.hpp"
#include "client_edge/dispatcher.hpp"
#include "runtime/host_context.hpp"

namespace lanchat::host::abi {
namespace {

lanchat_status_code edge_attach(lanchat_host_context* ctx, const lanchat_client_edge_handler* handler,
                                lanchat_sink* error) {
    if (ctx->client_edge == nullptr) {
        write_to(error,
                 "this node has no [client_edge] table in its node file, so there is no client listener to handle");
        return LANCHAT_FAILED_PRECONDITION;
    }
    if (handler == nullptr || handler->struct_size < offsetof(lanchat_client_edge_handler, http)) {
        write_to(error, "client edge handler missing or too small");
        return LANCHAT_INVALID_ARGUMENT;
    }
    sdk::Status attached = ctx->client_edge->attach(ctx, ctx->plugin_name, *handler);
    if (!attached.ok()) write_to(error, attached.message());
    return static_cast<lanchat_status_code>(attached.code());
}

lanchat_status_code edge_send(lanchat_host_context* ctx, lanchat_connection_id id, lanchat_str text) {
    return ctx->client_edge == nullptr ? LANCHAT_NOT_FOUND : ctx->client_edge->send(id, view(text));
}

lanchat_status_code edge_set_session(lanchat_host_context* ctx, lanchat_connection_id id, lanchat_bytes session) {
    if (ctx->client_edge == nullptr) return LANCHAT_NOT_FOUND;
    return ctx->client_edge->set_session(id, view(session));
}

lanchat_status_code edge_send_many(lanchat_host_context* ctx, const lanchat_connection_id* ids, size_t count,
                                   lanchat_str text, lanchat_status_code* results) {
    if (ids == nullptr && count != 0) return LANCHAT_INVALID_ARGUMENT;
    if (ctx->client_edge == nullptr) {
        for (size_t i = 0; results != nullptr && i < count; ++i) results[i] = LANCHAT_NOT_FOUND;
        return count == 0 ? LANCHAT_OK : LANCHAT_NOT_FOUND;
    }
    std::span<lanchat_status_code> outcomes;
    if (results != nullptr) outcomes = {results, count};
    return ctx->client_edge->send_many({ids, count}, view(text), outcomes);
}

void edge_close(lanchat_host_context* ctx, lanchat_connection_id id, uint16_t code, lanchat_str reason) {
    if (ctx->client_edge == nullptr) return;
    if (code != 1000 && (code < 4000 || code > 4999)) code = 1011;  // the codes a handler may choose
    ctx->client_edge->close(id, code, view(reason));
}

const lanchat_client_edge_api kClientEdgeApi = {
    sizeof(lanchat_client_edge_api), &edge_attach, &edge_send, &edge_set_session, &edge_close, &edge_send_many};

}  // namespace

const lanchat_client_edge_api* client_edge_api_table() { return &kClientEdgeApi; }

}  // namespace lanchat::host::abi

// lanchat_rpc_api (since 1.1): serving and calling RPCs through the node's Mesh, found by the caller's context.
#include <string>

#include "abi/reply_after_return.hpp"
#include "abi/sink.hpp"
#include "abi/slice.hpp"
#include "abi/tables.hpp"
#include "mesh/inbound_call.hpp"
#include "mesh/mesh.hpp"
#include "mesh/rpc_owner.hpp"
#include "runtime/host_context.hpp"

namespace lanchat::host::abi {
namespace {

constexpr const char* kNoMesh = "this node has no [mesh] table, so it neither serves nor calls RPCs";
constexpr const char* kStopped = "the calling plugin has stopped: it makes no more calls";

lanchat_status_code serve(lanchat_host_context* ctx, const lanchat_rpc_method* method, lanchat_sink* error) {
    if (ctx->mesh == nullptr) {
        write_to(error, kNoMesh);
        return LANCHAT_UNAVAILABLE;
    }
    if (method == nullptr || method->handler == nullptr ||
        (method->kind != LANCHAT_RPC_UNARY && method->kind != LANCHAT_RPC_SERVER_STREAMING)) {
        write_to(error, "serve needs a method with a handler and a kind of unary or server-streaming");
        return LANCHAT_INVALID_ARGUMENT;
    }
    mesh::Route route{std::string(view(method->full_name)),
                      method->kind,
                      method->handler,
                      method->cancelled,
                      method->user,
                      ctx->rpc_owner};
    if (sdk::Status added = ctx->mesh->routes().add(std::move(route)); !added.ok()) {
        write_to(error, added.message());
        return static_cast<lanchat_status_code>(added.code());
    }
    ctx->mesh->publish_health(ctx->rpc_owner.get(), ctx->health().status == LANCHAT_HEALTH_SERVING);
    return LANCHAT_OK;
}

void unserve(lanchat_host_context* ctx, lanchat_str full_name) {
    if (ctx->mesh != nullptr) ctx->mesh->routes().remove(ctx->rpc_owner.get(), std::string(view(full_name)));
}

mesh::OutboundCall outbound(lanchat_host_context* ctx, const lanchat_rpc_call_options* options, lanchat_bytes request) {
    mesh::OutboundCall call;
    call.caller_service = ctx->plugin_name;
    call.service = std::string(view(options->service));
    call.method = std::string(view(options->method));
    call.timeout = std::chrono::milliseconds(options->timeout_ms);
    call.idempotent = options->idempotent != LANCHAT_FALSE;
    call.lineage = mesh::lineage_of(options->parent);
    call.request = std::string(view(request));
    if (LANCHAT_HAS_FIELD(options, lanchat_rpc_call_options, node)) call.node = std::string(view(options->node));
    return call;
}

void call_unary(lanchat_host_context* ctx, const lanchat_rpc_call_options* options, lanchat_bytes request,
                lanchat_rpc_reply_fn reply, void* user) {
    ReplyAfterReturn answer(ctx, reply, user);
    if (!ctx->rpc_owner->calls_allowed()) return answer.reply_fn()(LANCHAT_CANCELLED, kStopped, {});
    if (ctx->mesh == nullptr) return answer.reply_fn()(LANCHAT_UNAVAILABLE, kNoMesh, {});
    ctx->mesh->client().call_unary(ctx->rpc_owner, outbound(ctx, options, request), answer.reply_fn());
}

lanchat_rpc_stream_id call_server_stream(lanchat_host_context* ctx, const lanchat_rpc_call_options* options,
                                         lanchat_bytes request, lanchat_rpc_message_fn on_message,
                                         lanchat_rpc_reply_fn reply, void* user) {
    ReplyAfterReturn answer(ctx, reply, user);
    if (!ctx->rpc_owner->calls_allowed()) {
        answer.reply_fn()(LANCHAT_CANCELLED, kStopped, {});
        return 0;
    }
    if (ctx->mesh == nullptr) {
        answer.reply_fn()(LANCHAT_UNAVAILABLE, kNoMesh, {});
        return 0;
    }
    mesh::MessageFn message = [on_message, user](const std::string& bytes) { on_message(user, to_bytes(bytes)); };
    return ctx->mesh->client().call_server_stream(ctx->rpc_owner, outbound(ctx, options, request), std::move(message),
                                                  answer.reply_fn());
}

void cancel_stream(lanchat_host_context* ctx, lanchat_rpc_stream_id id) {
    if (ctx->mesh != nullptr) ctx->mesh->client().cancel_stream(id);
}

const lanchat_rpc_api kRpcApi = {
    sizeof(lanchat_rpc_api), &serve,        &unserve, &mesh::write_call, &mesh::finish_call, &call_unary,
    &call_server_stream,     &cancel_stream};

}  // namespace

const lanchat_rpc_api* rpc_api_table() { return &kRpcApi; }

}  // namespace lanchat::host::abi

// Message requests: send, edit, delete, typing and history (subscribe is in deliveries.cpp).
#include "gateway_service.hpp"

#include "lanchat/router/v1/router.pb.h"

namespace lanchat::gateway {

namespace channel_v1 = channel::v1;
namespace router_v1 = router::v1;

std::optional<SendAdmission::Ticket> GatewayService::admit_write(const ClientRequest& client) {
    SendAdmission::Refused refused;
    std::optional<SendAdmission::Ticket> ticket = writes_.admit(refused);
    if (!ticket) refuse(client, refused.code, refused.message, refused.retry_after_ms);
    return ticket;
}

// The fields are read before a place is taken: a malformed send is answered bad_request, busy node or not.
void GatewayService::on_send(const ClientRequest& client, const Fields& fields) {
    router_v1::SendRequest request;
    request.set_user_id(client.session->user());
    request.set_channel_id(fields.text("channel_id", kMaxId));
    request.set_body(fields.text("body", limits_.max_body_bytes));
    request.set_client_message_id(fields.text("client_message_id", kMaxId));
    std::optional<SendAdmission::Ticket> ticket = admit_write(client);
    if (!ticket) return;
    call<router_v1::SendRequest, router_v1::SendReply>(
        client, "router", "Send", request, [this, client, ticket = *ticket](const router_v1::SendReply& sent) {
            reply(client, {{"sequence", sent.sequence()},
                           {"server_time_unix_ms", sent.server_time_unix_ms()},
                           {"duplicate", sent.duplicate()}});
        });
}

template <class Request>
void GatewayService::change_message(const ClientRequest& client, const char* method, const Request& request) {
    std::optional<SendAdmission::Ticket> ticket = admit_write(client);
    if (!ticket) return;
    call<Request, router_v1::SendReply>(
        client, "router", method, request,
        [this, client, ticket = *ticket](const router_v1::SendReply& sent) {
            reply(client, {{"sequence", sent.sequence()}});
        },
        {}, false);
}

void GatewayService::on_edit(const ClientRequest& client, const Fields& fields) {
    router_v1::EditRequest request;
    request.set_user_id(client.session->user());
    request.set_channel_id(fields.text("channel_id", kMaxId));
    request.set_sequence(fields.sequence("sequence"));
    request.set_body(fields.text("body", limits_.max_body_bytes));
    change_message(client, "Edit", request);
}

void GatewayService::on_delete(const ClientRequest& client, const Fields& fields) {
    router_v1::DeleteRequest request;
    request.set_user_id(client.session->user());
    request.set_channel_id(fields.text("channel_id", kMaxId));
    request.set_sequence(fields.sequence("sequence"));
    change_message(client, "Delete", request);
}

void GatewayService::on_typing(const ClientRequest& client, const Fields& fields) {
    router_v1::TypingRequest request;
    request.set_user_id(client.session->user());
    request.set_channel_id(fields.text("channel_id", kMaxId));
    call<router_v1::TypingRequest, router_v1::TypingReply>(client, "router", "Typing", request,
                                                           acknowledge<router_v1::TypingReply>(client), {}, false);
}

namespace {

// The reply's messages as JSON, in the order asked for, up to `max_bytes` of it (at least one message, so a
// client can always page on): 500 bodies of control characters would otherwise be 12 MB, each character
// escaped as six. True when the page was cut short.
std::pair<json, bool> history_page(const channel_v1::HistoryReply& reply, size_t max_bytes) {
    json messages = json::array();
    size_t bytes = 0;
    for (const auto& message : reply.messages()) {
        json item = message_json(message);
        item.erase("type");
        bytes += item.dump().size() + 1;
        if (bytes > max_bytes && !messages.empty()) return {std::move(messages), true};
        messages.push_back(std::move(item));
    }
    return {std::move(messages), false};
}

}  // namespace

void GatewayService::on_history(const ClientRequest& client, const Fields& fields) {
    channel_v1::HistoryRequest request;
    *request.mutable_actor() = client.session->actor();
    request.set_channel_id(fields.text("channel_id", kMaxId));
    auto before = fields.optional_sequence("before");
    auto after = fields.optional_sequence("after");
    if (before.has_value() == after.has_value()) {
        throw Refusal("bad_request", "history needs exactly one of 'before' and 'after'");
    }
    request.set_direction(before ? channel_v1::HistoryRequest::BEFORE : channel_v1::HistoryRequest::AFTER);
    request.set_from_sequence(before ? *before : *after);
    uint64_t limit = fields.optional_sequence("limit").value_or(50);
    if (limit < 1 || limit > 500) throw Refusal("bad_request", "field 'limit' must be between 1 and 500");
    request.set_limit(static_cast<uint32_t>(limit));
    call<channel_v1::HistoryRequest, channel_v1::HistoryReply>(
        client, "channel", "History", request, [this, client](const channel_v1::HistoryReply& reply) {
            auto [messages, cut] = history_page(reply, limits_.max_reply_bytes);
            this->reply(client, {{"messages", std::move(messages)},
                                 {"more", reply.more() || cut},
                                 {"last_sequence", reply.last_sequence()}});
        });
}

}  // namespace lanchat::gateway

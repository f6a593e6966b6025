// Message requests: send, edit, delete, typing and history; and subscribe, the Router stream that delivers
// a user's messages to this connection.
#include "gateway_service.hpp"

#include "lanchat/router/v1/router.pb.h"

namespace lanchat::gateway {

namespace channel_v1 = channel::v1;
namespace router_v1 = router::v1;

void GatewayService::on_send(const ClientRequest& client, const Fields& fields) {
    router_v1::SendRequest request;
    request.set_user_id(client.session->user());
    request.set_channel_id(fields.text("channel_id", kMaxId));
    request.set_body(fields.text("body", limits_.max_body_bytes));
    request.set_client_message_id(fields.text("client_message_id", kMaxId));
    call<router_v1::SendRequest, router_v1::SendReply>(
        client, "router", "Send", request, [this, client](const router_v1::SendReply& sent) {
            reply(client, {{"sequence", sent.sequence()},
                           {"server_time_unix_ms", sent.server_time_unix_ms()},
                           {"duplicate", sent.duplicate()}});
        });
}

template <class Request>
void GatewayService::change_message(const ClientRequest& client, const char* method, const Request& request) {
    call<Request, router_v1::SendReply>(
        client, "router", method, request,
        [this, client](const router_v1::SendReply& sent) {
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
    call<
        channel_v1::HistoryRequest,
        channel_v1::
            HistoryReply>(client, "channel", "History", request, [this, client](const channel_v1::HistoryReply& reply) {
        json messages = json::array();
        for (const auto& message : reply.messages()) {
            json item = message_json(message);
            item.erase("type");
            messages.push_back(std::move(item));
        }
        this->reply(client, {{"messages", messages}, {"more", reply.more()}, {"last_sequence", reply.last_sequence()}});
    });
}

void GatewayService::on_subscribe(const ClientRequest& client, const Fields& fields) {
    const std::shared_ptr<Session>& session = client.session;
    router_v1::SubscribeRequest request;
    request.set_user_id(session->user());
    request.set_edge_id(edge_id_);
    for (const auto& [channel, sequence] : fields.positions("resume")) {
        (*request.mutable_resume_after())[channel] = sequence;
    }
    end_deliveries(*session);  // a new subscribe replaces the old one, from the positions given now
    auto subscription = std::make_shared<Subscription>();
    subscription->request_id = client.id;
    subscription->in_flight = client.in_flight;
    {
        std::lock_guard lock(session->mutex);
        session->subscription = subscription;
    }
    sdk::Result<sdk::CallOptions> how = call_options("router", "Subscribe", std::chrono::milliseconds{0}, false);
    if (!how.ok()) return subscription_ended(session, *subscription, how.status());
    lanchat_rpc_stream_id started = rpc_.call_stream<router_v1::SubscribeRequest, router_v1::Delivery>(
        *how, request,
        [this, session, subscription](router_v1::Delivery delivery) {
            accept(session, *subscription);
            if (delivery.has_message()) {
                push(session->id,
                     message_json(delivery.message()).dump(-1, ' ', false, json::error_handler_t::replace));
            } else if (delivery.has_typing()) {
                push(session->id, json{{"type", "typing"},
                                       {"channel_id", delivery.typing().channel_id()},
                                       {"user_id", delivery.typing().user_id()}}
                                      .dump());
            }
        },
        [this, session, subscription](sdk::Status ended) { subscription_ended(session, *subscription, ended); });
    std::lock_guard lock(subscription->mutex);
    if (!subscription->ended) subscription->stream = started;  // it may have failed inside call_stream already
}

void GatewayService::accept(const std::shared_ptr<Session>& session, Subscription& subscription) {
    sdk::Gate::Holder answering;
    {
        std::lock_guard lock(subscription.mutex);
        if (subscription.accepted) return;
        subscription.accepted = true;
        answering = std::move(subscription.in_flight);
    }
    reply(ClientRequest{session, subscription.request_id, std::move(answering)}, json::object());
}

void GatewayService::subscription_ended(const std::shared_ptr<Session>& session, Subscription& subscription,
                                        const sdk::Status& ended) {
    bool accepted;
    sdk::Gate::Holder answering;
    {
        std::lock_guard lock(subscription.mutex);
        subscription.ended = true;
        subscription.stream = 0;
        accepted = subscription.accepted;
        subscription.accepted = true;  // nothing more to answer
        answering = std::move(subscription.in_flight);
    }
    if (!accepted) {
        ClientRequest unanswered{session, subscription.request_id, std::move(answering)};
        return fail(unanswered, ended.ok() ? sdk::Status(sdk::Code::unavailable, "the subscription ended") : ended);
    }
    bool current;
    {
        std::lock_guard lock(session->mutex);
        current = session->open && session->subscription.get() == &subscription;
    }
    if (!current || ended.code() == sdk::Code::cancelled) return;
    // The Router restarted or found this client too slow: it comes back with its positions. Anything else
    // will not get better by retrying the same positions: the client is told why.
    if (ended.code() == sdk::Code::unavailable || ended.code() == sdk::Code::resource_exhausted || ended.ok()) {
        push(session->id, json{{"type", "resubscribe"}}.dump());
    } else {
        push(session->id,
             json{{"type", "subscription_ended"}, {"code", error_code_of(ended, {})}, {"message", ended.message()}}
                 .dump());
    }
}

void GatewayService::end_deliveries(Session& session) {
    std::shared_ptr<Subscription> subscription;
    {
        std::lock_guard lock(session.mutex);
        subscription = std::move(session.subscription);
    }
    if (!subscription) return;
    lanchat_rpc_stream_id stream;
    {
        std::lock_guard lock(subscription->mutex);
        stream = subscription->stream;
    }
    if (stream != 0) rpc_.cancel(stream);
}

}  // namespace lanchat::gateway

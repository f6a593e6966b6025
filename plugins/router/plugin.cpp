// The Router plugin: Send/Edit/Delete through Channel, then delivery to subscribed client edges.
//   config:  kSettings below
//   serves:  lanchat.router.v1.Router/Send, /Edit, /Delete, /Typing, /Subscribe (the client edge)
//   calls:   channel (Append, Amend, Audience, History)
// Deletions reach Audit through Channel, in the same commit as the deletion event.
#include <chrono>

#include "lanchat/sdk.hpp"
#include "lanchat/sdk/serving.hpp"
#include "router_service.hpp"
#include "stream_calls.hpp"

namespace lanchat::router {

using namespace lanchat::sdk;

namespace {

constexpr Setting kSettings[] = {
    setting::integer("max_body_bytes", 4000, 1, 1024 * 1024, "the largest message body accepted"),
};

constexpr std::chrono::milliseconds kChannelDeadline{5000};
constexpr const char* kChannel = "/lanchat.channel.v1.Channel/";

// Channel over the mesh.
class MeshChannelLog final : public ChannelLog {
public:
    explicit MeshChannelLog(const Rpc& rpc) : rpc_(rpc) {}

    // Append is safe to retry: the client_message_id makes a repeat return the first result.
    void append(const channel::v1::AppendRequest& request, Done<channel::v1::AppendReply> done) override {
        call("Append", true, request, std::move(done));
    }
    void amend(const channel::v1::AmendRequest& request, Done<channel::v1::AppendReply> done) override {
        call("Amend", false, request, std::move(done));
    }
    void audience(const channel::v1::AudienceRequest& request, Done<channel::v1::AudienceReply> done) override {
        call("Audience", true, request, std::move(done));
    }
    void history(const channel::v1::HistoryRequest& request, Done<channel::v1::HistoryReply> done) override {
        call("History", true, request, std::move(done));
    }

private:
    // One call to Channel's `method`; `idempotent` says whether the mesh may retry it.
    template <class Request, class Response>
    void call(const char* method, bool idempotent, const Request& request, Done<Response> done) const {
        CallOptions options{"channel", std::string(kChannel) + method, kChannelDeadline, idempotent, nullptr};
        rpc_.call<Request, Response>(options, request, std::move(done));
    }
    const Rpc& rpc_;
};

}  // namespace

class RouterPlugin : public Plugin {
public:
    explicit RouterPlugin(Host& host) : Plugin(host), rpc_(host), channels_(rpc_) {
        RouterLimits limits;
        limits.max_body_bytes = settings().get<size_t>("max_body_bytes");
        service_ = std::make_unique<RouterService>(channels_, limits);
    }

    Status start() override {
        gap_checks_ = executor().every(std::chrono::milliseconds(100), [this] { service_->check_gaps(); });
        RouterService& router = *service_;
        return Serving(rpc_, "/lanchat.router.v1.Router/")
            .deferred<v1::SendRequest, v1::SendReply>(
                "Send", [&router](auto&, auto& request, auto done) { router.send(request, std::move(done)); })
            .deferred<v1::EditRequest, v1::SendReply>(
                "Edit", [&router](auto&, auto& request, auto done) { router.edit(request, std::move(done)); })
            .deferred<v1::DeleteRequest, v1::SendReply>(
                "Delete", [&router](auto&, auto& request, auto done) { router.remove(request, std::move(done)); })
            .deferred<v1::TypingRequest, v1::TypingReply>(
                "Typing", [&router](auto&, auto& request, auto done) { router.typing(request, std::move(done)); })
            .stream<v1::SubscribeRequest, v1::Delivery>(
                "Subscribe", [this](auto&, auto request, auto writer) { subscribe(request, std::move(writer)); },
                [this](lanchat_rpc_call* call) { cancelled(call); })
            .status();
    }

    // Subscribers are told to come back (UNAVAILABLE), with their positions, to the next instance.
    void drain(DrainSignal done) override {
        gap_checks_.reset();
        service_->end_all({Code::unavailable, "the router is restarting; subscribe again with resume_after"});
        done.done();
    }

    void stop() override { gap_checks_.reset(); }

private:
    void subscribe(const v1::SubscribeRequest& request, StreamWriter<v1::Delivery> writer) {
        lanchat_rpc_call* call = writer.call();
        auto sink =
            std::make_shared<plugin_support::WriterSink<v1::Delivery>>(writer, [this, call] { calls_.forget(call); });
        auto refused = calls_.open(
            call, [&] { return service_->subscribe(request, sink); },
            [this](uint64_t id) { service_->unsubscribe(id); });
        if (refused) {
            writer.finish(*refused);
            return;
        }
        // An empty delivery says "subscribed": the client edge answers its client only now, and a refusal
        // (before it) is told apart from a subscription that ended later.
        (void)writer.write(v1::Delivery());  // fails only when the client already left: its cancel cleans up
    }

    void cancelled(lanchat_rpc_call* call) {
        calls_.cancelled(call, [this](uint64_t id) { service_->unsubscribe(id); });
    }

    Rpc rpc_;
    MeshChannelLog channels_;
    std::unique_ptr<RouterService> service_;
    Timer gap_checks_;
    plugin_support::StreamCalls calls_;
};

}  // namespace lanchat::router

LANCHAT_PLUGIN(lanchat::router::RouterPlugin, "router", "0.1.0", lanchat::router::kSettings)

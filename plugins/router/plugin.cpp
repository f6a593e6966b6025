// The Router plugin: Send/Edit/Delete through Channel, then one delivery per client edge.
//   config:  kSettings below
//   serves:  lanchat.router.v1.Router/Send, /Edit, /Delete, /Typing, /Announce, /SubscribeEdge (the client
//            edge)
//   calls:   channel (Append, Amend, Audience, History)
// Deletions reach Audit through Channel, in the same commit as the deletion event. A reload refuses
// nothing: the Sends this instance admitted finish here, and its edge streams end only after them.
#include <chrono>
#include <optional>

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
    void append(const channel::v1::AppendRequest& request, CallParent parent,
                Done<channel::v1::AppendReply> done) override {
        call("Append", true, request, parent, std::move(done));
    }
    void amend(const channel::v1::AmendRequest& request, CallParent parent,
               Done<channel::v1::AppendReply> done) override {
        call("Amend", false, request, parent, std::move(done));
    }
    void audience(const channel::v1::AudienceRequest& request, CallParent parent,
                  Done<channel::v1::AudienceReply> done) override {
        call("Audience", true, request, parent, std::move(done));
    }
    void history(const channel::v1::HistoryRequest& request, CallParent parent,
                 Done<channel::v1::HistoryReply> done) override {
        call("History", true, request, parent, std::move(done));
    }

private:
    // One call to Channel's `method`; `idempotent` says whether the mesh may retry it.
    template <class Request, class Response>
    void call(const char* method, bool idempotent, const Request& request, CallParent parent,
              Done<Response> done) const {
        CallOptions options{"channel", std::string(kChannel) + method, kChannelDeadline, idempotent, parent};
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
        return Serving(rpc_, "/lanchat.router.v1.Router/")
            .deferred<v1::SendRequest, v1::SendReply>("Send",
                                                      admitted<v1::SendRequest, v1::SendReply>(&RouterService::send))
            .deferred<v1::EditRequest, v1::SendReply>("Edit",
                                                      admitted<v1::EditRequest, v1::SendReply>(&RouterService::edit))
            .deferred<v1::DeleteRequest, v1::SendReply>(
                "Delete", admitted<v1::DeleteRequest, v1::SendReply>(&RouterService::remove))
            .deferred<v1::TypingRequest, v1::TypingReply>(
                "Typing", admitted<v1::TypingRequest, v1::TypingReply>(&RouterService::typing))
            .deferred<v1::AnnounceRequest, v1::AnnounceReply>(
                "Announce", admitted<v1::AnnounceRequest, v1::AnnounceReply>(&RouterService::announce))
            .stream<v1::SubscribeEdgeRequest, v1::Delivery>(
                "SubscribeEdge",
                [this](auto&, auto request, auto writer) { subscribe_edge(request, std::move(writer)); },
                [this](lanchat_rpc_call* call) { cancelled(call); })
            .status();
    }

    // New calls already go to the successor. The ones admitted here finish here (they were written to the
    // edges before they were answered); then the edge streams end, and each edge opens one to the successor
    // and reads from the history whatever it missed meanwhile.
    void drain(DrainSignal done) override {
        host_drain_ = std::move(done);
        in_flight_.close(DrainSignal(&sends_answered_));
    }

private:
    // A handler for `method` that holds the drain gate until its answer is given.
    template <class Request, class Response>
    std::function<void(const CallInfo&, const Request&, Done<Response>)> admitted(
        void (RouterService::*method)(const Request&, CallParent, Done<Response>)) {
        return [this, method](const CallInfo& info, const Request& request, Done<Response> done) {
            std::optional<Gate::Holder> holder = in_flight_.try_hold();
            if (!holder) return done(Status(Code::unavailable, "the router is restarting; send again"));
            ((*service_).*method)(
                request, info.call,
                [done = std::move(done), holder = std::move(*holder)](Result<Response> result) mutable {
                    done(std::move(result));
                    holder.release();
                });
        };
    }

    static void on_sends_answered(void* self) {
        auto* plugin = static_cast<RouterPlugin*>(self);
        plugin->service_->end_all({Code::unavailable, "the router is restarting; open the stream again"});
        plugin->host_drain_.done();
    }

    void subscribe_edge(const v1::SubscribeEdgeRequest& request, StreamWriter<v1::Delivery> writer) {
        lanchat_rpc_call* call = writer.call();
        auto sink =
            std::make_shared<plugin_support::WriterSink<v1::Delivery>>(writer, [this, call] { calls_.forget(call); });
        auto refused = calls_.open(
            call, [&] { return service_->subscribe_edge(request, sink); },
            [this](uint64_t id) { service_->unsubscribe(id); });
        if (refused) {
            writer.finish(*refused);
            return;
        }
        // An empty delivery says "registered": from here on the edge misses nothing this Router appends, so
        // it now asks where its channels stand and reads what it missed from the history.
        (void)writer.write(v1::Delivery());  // fails only when the edge already left: its cancel cleans up
    }

    void cancelled(lanchat_rpc_call* call) {
        calls_.cancelled(call, [this](uint64_t id) { service_->unsubscribe(id); });
    }

    Rpc rpc_;
    MeshChannelLog channels_;
    std::unique_ptr<RouterService> service_;
    plugin_support::StreamCalls calls_;
    DrainSignal host_drain_;
    const lanchat_drain_request sends_answered_{sizeof(lanchat_drain_request), 0, this, &on_sends_answered};
    // The calls admitted and not yet answered. Last: it goes first, while what its signal uses still lives.
    Gate in_flight_;
};

}  // namespace lanchat::router

LANCHAT_PLUGIN(lanchat::router::RouterPlugin, "router", "0.1.0", lanchat::router::kSettings)

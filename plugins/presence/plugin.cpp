// The Presence plugin: who is online, from device heartbeats with a time-to-live.
//   config:  kSettings below
//   store:   presence itself is in memory (handed over on reload); <data dir>/presence.sqlite holds only
//            the audit outbox
//   serves:  lanchat.presence.v1.Presence/Heartbeat, /SetStatus, /Disconnect, /Get, /Watch (the client edge)
//   calls:   audit (Append, through the durable outbox: status changes)
#include <algorithm>
#include <chrono>

#include "audit_outbox.hpp"
#include "clock.hpp"
#include "lanchat/sdk.hpp"
#include "lanchat/sdk/serving.hpp"
#include "presence_service.hpp"
#include "sqlite_database.hpp"
#include "stream_calls.hpp"

namespace lanchat::presence {

using namespace lanchat::sdk;

namespace {

constexpr Setting kSettings[] = {
    setting::milliseconds("device_ttl_ms", 30000, 100, setting::kNoLimit,
                          "a device not heard from for this long goes offline"),
};

const char* status_name(v1::Status status) {
    switch (status) {
        case v1::ONLINE: return "online";
        case v1::AWAY: return "away";
        case v1::DO_NOT_DISTURB: return "do_not_disturb";
        case v1::OFFLINE: return "offline";
        default: return "unknown";
    }
}

}  // namespace

class PresencePlugin : public Plugin {
public:
    explicit PresencePlugin(Host& host) : Plugin(host), rpc_(host) {
        ttl_ = settings().get<std::chrono::milliseconds>("device_ttl_ms");
        database_ = value_or_throw(plugin_support::AuditOutbox::open_database(config().data_dir(), "presence"));
        outbox_ = std::make_unique<plugin_support::AuditOutbox>(*database_, plugin_support::AuditOutbox::through(rpc_),
                                                                executor(), log());
        service_ = std::make_unique<PresenceService>(
            ttl_.count(), plugin_support::unix_ms_now, [this](const v1::PresenceInfo& info) {
                audit::v1::AppendRequest entry;
                entry.set_actor("user:" + info.user_id());
                entry.set_action("presence_changed");
                entry.set_target("presence");
                entry.set_outcome("ok");
                (*entry.mutable_details())["status"] = status_name(info.status());
                if (Status queued = outbox_->enqueue(std::move(entry)); !queued.ok()) {
                    log().error("cannot queue an audit entry", {{"reason", queued.message()}});
                }
            });
    }

    Status start() override {
        outbox_->start();
        const auto sweep = std::clamp(ttl_ / 4, std::chrono::milliseconds(25), std::chrono::milliseconds(1000));
        expiry_ = executor().every(sweep, [this] { service_->expire(); });
        PresenceService& s = *service_;
        return Serving(rpc_, "/lanchat.presence.v1.Presence/")
            .sync<v1::HeartbeatRequest, v1::PresenceInfo>("Heartbeat", [&s](auto&, auto& r) { return s.heartbeat(r); })
            .sync<v1::SetStatusRequest, v1::PresenceInfo>("SetStatus", [&s](auto&, auto& r) { return s.set_status(r); })
            .sync<v1::DisconnectRequest, v1::PresenceInfo>("Disconnect",
                                                           [&s](auto&, auto& r) { return s.disconnect(r); })
            .sync<v1::GetRequest, v1::GetReply>("Get", [&s](auto&, auto& r) { return s.get(r); })
            .stream<v1::WatchRequest, v1::PresenceInfo>(
                "Watch", [this](auto&, auto request, auto writer) { watch(request, std::move(writer)); },
                [this](lanchat_rpc_call* call) { cancelled(call); })
            .status();
    }

    void drain(DrainSignal done) override {
        expiry_.reset();
        service_->end_all({Code::unavailable, "presence is restarting; watch again"});
        done.done();
    }

    void stop() override {
        expiry_.reset();
        outbox_->stop();
    }

    Result<std::string> export_state() override { return service_->export_state(); }
    Status import_state(std::string_view state) override { return service_->import_state(std::string(state)); }

private:
    void watch(const v1::WatchRequest& request, StreamWriter<v1::PresenceInfo> writer) {
        lanchat_rpc_call* call = writer.call();
        auto sink = std::make_shared<plugin_support::WriterSink<v1::PresenceInfo>>(
            writer, [this, call] { calls_.forget(call); });
        auto refused = calls_.open(
            call, [&] { return service_->watch(request, sink); }, [this](uint64_t id) { service_->unwatch(id); });
        if (refused) writer.finish(*refused);
    }

    void cancelled(lanchat_rpc_call* call) {
        calls_.cancelled(call, [this](uint64_t id) { service_->unwatch(id); });
    }

    Rpc rpc_;
    std::chrono::milliseconds ttl_{30000};
    std::unique_ptr<plugin_support::SqliteDatabase> database_;
    std::unique_ptr<plugin_support::AuditOutbox> outbox_;
    std::unique_ptr<PresenceService> service_;
    Timer expiry_;
    plugin_support::StreamCalls calls_;
};

}  // namespace lanchat::presence

LANCHAT_PLUGIN(lanchat::presence::PresencePlugin, "presence", "0.1.0", lanchat::presence::kSettings)

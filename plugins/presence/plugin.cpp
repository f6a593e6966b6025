// The Presence plugin: who is online, from device heartbeats with a time-to-live.
//   config:  device_ttl_ms (default 30000): a device not heard from for this long goes offline
//   store:   presence itself is in memory (handed over on reload); <data dir>/presence.sqlite holds only
//            the audit outbox
//   serves:  lanchat.presence.v1.Presence/Heartbeat, /SetStatus, /Disconnect, /Get, /Watch (the client edge)
//   calls:   audit (Append, through the durable outbox: status changes)
#include <algorithm>
#include <chrono>

#include "audit_outbox.hpp"
#include "clock.hpp"
#include "lanchat/sdk.hpp"
#include "lanchat/sdk/rpc.hpp"
#include "stream_calls.hpp"
#include "presence_service.hpp"
#include "sqlite_database.hpp"

namespace lanchat::presence {

using namespace lanchat::sdk;

namespace {

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
        if (Status known = config().allow_only({"device_ttl_ms"}); !known.ok()) throw StatusError(known);
        ttl_ = config().value_or("device_ttl_ms", std::chrono::milliseconds(30000));
        if (ttl_.count() < 100) {
            throw StatusError(invalid_argument("device_ttl_ms at " + config().where("device_ttl_ms") + " must be at least 100"));
        }
        database_ = value_or_throw(plugin_support::SqliteDatabase::open(std::filesystem::path(config().data_dir()) / "presence.sqlite",
                                                                 "presence store", plugin_support::AuditOutbox::kSchema));
        outbox_ = std::make_unique<plugin_support::AuditOutbox>(
            *database_, plugin_support::AuditOutbox::through(rpc_), executor(), log());
        service_ = std::make_unique<PresenceService>(ttl_.count(), plugin_support::unix_ms_now, [this](const v1::PresenceInfo& info) {
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
        const std::string service = "/lanchat.presence.v1.Presence/";
        for (Status served : {
                 rpc_.serve_sync<v1::HeartbeatRequest, v1::PresenceInfo>(
                     service + "Heartbeat", [&s](const CallInfo&, const v1::HeartbeatRequest& r) { return s.heartbeat(r); }),
                 rpc_.serve_sync<v1::SetStatusRequest, v1::PresenceInfo>(
                     service + "SetStatus", [&s](const CallInfo&, const v1::SetStatusRequest& r) { return s.set_status(r); }),
                 rpc_.serve_sync<v1::DisconnectRequest, v1::PresenceInfo>(
                     service + "Disconnect", [&s](const CallInfo&, const v1::DisconnectRequest& r) { return s.disconnect(r); }),
                 rpc_.serve_sync<v1::GetRequest, v1::GetReply>(
                     service + "Get", [&s](const CallInfo&, const v1::GetRequest& r) { return s.get(r); }),
                 rpc_.serve_stream<v1::WatchRequest, v1::PresenceInfo>(
                     service + "Watch",
                     [this](const CallInfo&, v1::WatchRequest request, StreamWriter<v1::PresenceInfo> writer) {
                         watch(request, std::move(writer));
                     },
                     [this](lanchat_rpc_call* call) { cancelled(call); }),
             }) {
            if (!served.ok()) return served;
        }
        return {};
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
        auto sink = std::make_shared<plugin_support::WriterSink<WatchSink, v1::PresenceInfo>>(writer, [this, call] { calls_.forget(call); });
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

LANCHAT_PLUGIN(lanchat::presence::PresencePlugin, "presence", "0.1.0")

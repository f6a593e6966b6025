// The Channel plugin: channels, members and message logs in SQLite.
//   config:  max_body_bytes (default 16384): the largest message body it stores
//   store:   <data dir>/channel.sqlite (channels, members, messages, the audit outbox)
//   serves:  lanchat.channel.v1.Channel/* (the client edge; Append, Amend and Audience for the Router)
//   calls:   audit (Append, through the durable outbox: membership changes, deletions)
#include <chrono>

#include "audit_outbox.hpp"
#include "clock.hpp"
#include "channel_service.hpp"
#include "lanchat/sdk.hpp"
#include "lanchat/sdk/rpc.hpp"
#include "sqlite_database.hpp"

namespace lanchat::channel {

using namespace lanchat::sdk;

class ChannelPlugin : public Plugin {
public:
    explicit ChannelPlugin(Host& host) : Plugin(host), rpc_(host) {
        if (Status known = config().allow_only({"max_body_bytes"}); !known.ok()) throw StatusError(known);
        ChannelLimits limits;
        limits.max_body_bytes = config().value_or("max_body_bytes", limits.max_body_bytes);
        if (limits.max_body_bytes < 1 || limits.max_body_bytes > 1024 * 1024) {
            throw StatusError(invalid_argument("max_body_bytes at " + config().where("max_body_bytes") +
                                               " must be between 1 and 1048576"));
        }
        database_ = value_or_throw(plugin_support::SqliteDatabase::open(
            std::filesystem::path(config().data_dir()) / "channel.sqlite", "channel store",
            std::string(kChannelSchema) + plugin_support::AuditOutbox::kSchema));
        store_ = value_or_throw(open_sqlite_store(*database_));
        outbox_ = std::make_unique<plugin_support::AuditOutbox>(
            *database_, plugin_support::AuditOutbox::through(rpc_), executor(), log());
        service_ = std::make_unique<ChannelService>(*store_, limits, plugin_support::unix_ms_now, [this] { outbox_->kick(); });
    }

    Status start() override {
        outbox_->start();
        ChannelService& s = *service_;
        for (Status served : {
                 serve<v1::CreateChannelRequest, v1::ChannelInfo>("CreateChannel", [&s](auto& r, auto& c) { return s.create_channel(r, c); }),
                 serve<v1::OpenDirectRequest, v1::ChannelInfo>("OpenDirect", [&s](auto& r, auto& c) { return s.open_direct(r, c); }),
                 serve<v1::GetChannelRequest, v1::ChannelInfo>("GetChannel", [&s](auto& r, auto&) { return s.get_channel(r); }),
                 serve<v1::ListChannelsRequest, v1::ListChannelsReply>("ListChannels", [&s](auto& r, auto&) { return s.list_channels(r); }),
                 serve<v1::RenameChannelRequest, v1::ChannelInfo>("RenameChannel", [&s](auto& r, auto& c) { return s.rename_channel(r, c); }),
                 serve<v1::ArchiveChannelRequest, v1::ChannelInfo>("ArchiveChannel", [&s](auto& r, auto& c) { return s.archive_channel(r, c); }),
                 serve<v1::JoinRequest, v1::Member>("Join", [&s](auto& r, auto& c) { return s.join(r, c); }),
                 serve<v1::LeaveRequest, v1::LeaveReply>("Leave", [&s](auto& r, auto& c) { return s.leave(r, c); }),
                 serve<v1::InviteRequest, v1::Member>("Invite", [&s](auto& r, auto& c) { return s.invite(r, c); }),
                 serve<v1::RemoveRequest, v1::RemoveReply>("Remove", [&s](auto& r, auto& c) { return s.remove(r, c); }),
                 serve<v1::ListMembersRequest, v1::ListMembersReply>("ListMembers", [&s](auto& r, auto&) { return s.list_members(r); }),
                 serve<v1::HistoryRequest, v1::HistoryReply>("History", [&s](auto& r, auto&) { return s.history(r); }),
                 serve<v1::AppendRequest, v1::AppendReply>("Append", [&s](auto& r, auto&) { return s.append(r); }),
                 serve<v1::AmendRequest, v1::AppendReply>("Amend", [&s](auto& r, auto& c) { return s.amend(r, c); }),
                 serve<v1::AudienceRequest, v1::AudienceReply>("Audience", [&s](auto& r, auto&) { return s.audience(r); }),
             }) {
            if (!served.ok()) return served;
        }
        return {};
    }

    void stop() override { outbox_->stop(); }

private:
    // `logic(request, correlation_id)` answers on the serving thread: SQLite commits are short.
    template <class Request, class Response, class Logic>
    Status serve(const char* method, Logic logic) {
        return rpc_.serve_sync<Request, Response>(
            std::string("/lanchat.channel.v1.Channel/") + method,
            [logic](const CallInfo& call, const Request& request) { return logic(request, call.correlation_id); });
    }

    Rpc rpc_;
    std::unique_ptr<plugin_support::SqliteDatabase> database_;
    std::unique_ptr<ChannelStore> store_;
    std::unique_ptr<plugin_support::AuditOutbox> outbox_;
    std::unique_ptr<ChannelService> service_;
};

}  // namespace lanchat::channel

LANCHAT_PLUGIN(lanchat::channel::ChannelPlugin, "channel", "0.1.0")

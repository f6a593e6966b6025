// The Channel plugin: channels, members and message logs in SQLite, or in PostgreSQL shared by nodes.
//   config:  kSettings below
//   store:   <data dir>/channel.sqlite, or with store = "postgresql" the database of postgres_dsn (channels,
//            members, messages, the audit outbox); appends and amends share commits
//            (plugin_support::GroupCommit), counted in store_commits_total, store_batch_units
//   serves:  lanchat.channel.v1.Channel/* (the client edge, with Memberships and Positions for its delivery
//            stream and CoMembers for presence watches; Append, Amend and Audience for the Router)
//   calls:   audit (Append, through the durable outbox: membership changes, deletions)
#include <chrono>

#include "audit_outbox.hpp"
#include "channel_service.hpp"
#include "clock.hpp"
#include "group_commit.hpp"
#include "lanchat/sdk.hpp"
#include "lanchat/sdk/serving.hpp"
#include "postgres_database.hpp"
#include "postgres_outbox.hpp"
#include "sqlite_database.hpp"
#include "store_choice.hpp"

namespace lanchat::channel {

using namespace lanchat::sdk;

namespace {

constexpr Setting kSettings[] = {
    setting::integer("max_body_bytes", 16384, 1, 1024 * 1024, "the largest message body it stores"),
    plugin_support::kStoreSetting,
    plugin_support::kPostgresDsnSetting,
    plugin_support::kPostgresDsnFileSetting,
};

// A write still queued for the disk when its caller stops waiting is not stored (GroupCommit).
using plugin_support::GroupCommit;
using CallerDeadline = GroupCommit::CallerDeadline;
GroupCommit::Deadline deadline_of(const sdk::CallInfo& call) {
    if (call.deadline_unix_ms == 0) return GroupCommit::Deadline::max();
    return GroupCommit::Deadline(std::chrono::milliseconds(call.deadline_unix_ms));
}

}  // namespace

class ChannelPlugin : public Plugin {
public:
    explicit ChannelPlugin(Host& host) : Plugin(host), rpc_(host), metrics_(host) {
        ChannelLimits limits;
        limits.max_body_bytes = settings().get<size_t>("max_body_bytes");
        store_commits_ = value_or_throw(metrics_.counter("store_commits_total", "Commits of appends and amends."));
        batch_units_ = value_or_throw(metrics_.histogram("store_batch_units", "Appends and amends per commit.", {},
                                                         {1, 2, 4, 8, 16, 32, 64, 128, 256}));
        const plugin_support::StoreChoice choice = value_or_throw(plugin_support::choose_store(settings()));
        if (choice.postgres)
            open_postgres(choice.dsn);
        else
            open_sqlite();
        service_ =
            std::make_unique<ChannelService>(*store_, limits, plugin_support::unix_ms_now, [this] { outbox_->kick(); });
    }

    Status start() override {
        outbox_->start();
        ChannelService& s = *service_;
        // Appends and amends answer from their group commit; the rest on the serving thread (short commits).
        return Serving(rpc_, "/lanchat.channel.v1.Channel/")
            .sync<v1::CreateChannelRequest, v1::ChannelInfo>(
                "CreateChannel", [&s](auto& call, auto& r) { return s.create_channel(r, call.correlation_id); })
            .sync<v1::OpenDirectRequest, v1::ChannelInfo>(
                "OpenDirect", [&s](auto& call, auto& r) { return s.open_direct(r, call.correlation_id); })
            .sync<v1::GetChannelRequest, v1::ChannelInfo>("GetChannel",
                                                          [&s](auto&, auto& r) { return s.get_channel(r); })
            .sync<v1::ListChannelsRequest, v1::ListChannelsReply>("ListChannels",
                                                                  [&s](auto&, auto& r) { return s.list_channels(r); })
            .sync<v1::RenameChannelRequest, v1::ChannelInfo>(
                "RenameChannel", [&s](auto& call, auto& r) { return s.rename_channel(r, call.correlation_id); })
            .sync<v1::ArchiveChannelRequest, v1::ChannelInfo>(
                "ArchiveChannel", [&s](auto& call, auto& r) { return s.archive_channel(r, call.correlation_id); })
            .sync<v1::JoinRequest, v1::Member>("Join",
                                               [&s](auto& call, auto& r) { return s.join(r, call.correlation_id); })
            .sync<v1::LeaveRequest, v1::LeaveReply>(
                "Leave", [&s](auto& call, auto& r) { return s.leave(r, call.correlation_id); })
            .sync<v1::InviteRequest, v1::Member>("Invite",
                                                 [&s](auto& call, auto& r) { return s.invite(r, call.correlation_id); })
            .sync<v1::RemoveRequest, v1::RemoveReply>(
                "Remove", [&s](auto& call, auto& r) { return s.remove(r, call.correlation_id); })
            .sync<v1::ListMembersRequest, v1::ListMembersReply>("ListMembers",
                                                                [&s](auto&, auto& r) { return s.list_members(r); })
            .sync<v1::HistoryRequest, v1::HistoryReply>(
                "History", [&s](auto& call, auto& r) { return s.history(r, call.correlation_id); })
            .deferred<v1::AppendRequest, v1::AppendReply>("Append",
                                                          [&s](auto& call, auto& r, auto done) {
                                                              CallerDeadline given_up_at(deadline_of(call));
                                                              s.append(r, std::move(done));
                                                          })
            .deferred<v1::AmendRequest, v1::AppendReply>("Amend",
                                                         [&s](auto& call, auto& r, auto done) {
                                                             CallerDeadline given_up_at(deadline_of(call));
                                                             s.amend(r, call.correlation_id, std::move(done));
                                                         })
            .sync<v1::AudienceRequest, v1::AudienceReply>("Audience", [&s](auto&, auto& r) { return s.audience(r); })
            .sync<v1::MembershipsRequest, v1::MembershipsReply>("Memberships",
                                                                [&s](auto&, auto& r) { return s.memberships(r); })
            .sync<v1::PositionsRequest, v1::PositionsReply>("Positions",
                                                            [&s](auto&, auto& r) { return s.positions(r); })
            .sync<v1::CoMembersRequest, v1::CoMembersReply>("CoMembers",
                                                            [&s](auto&, auto& r) { return s.co_members(r); })
            .status();
    }

    // What is queued for the disk is committed and answered before the outbox and the service go.
    void stop() override {
        commits_->stop();
        outbox_->stop();
    }

private:
    void open_sqlite() {
        auto database =
            value_or_throw(plugin_support::AuditOutbox::open_database(config().data_dir(), "channel", kChannelSchema));
        commits_ = start_commits(*database);
        store_ = value_or_throw(open_sqlite_store(*database, *commits_));
        outbox_ = std::make_unique<plugin_support::AuditOutbox>(*database, plugin_support::AuditOutbox::through(rpc_),
                                                                executor(), log());
        database_ = std::move(database);
    }

    void open_postgres(const std::string& dsn) {
        auto database =
            value_or_throw(plugin_support::PostgresDatabase::open(dsn, "channel store", channel_postgres_schema()));
        commits_ = start_commits(*database);
        store_ = open_postgres_store(*database, *commits_);
        outbox_ = std::make_unique<plugin_support::AuditOutbox>(
            plugin_support::postgres_outbox(*database), plugin_support::AuditOutbox::through(rpc_), executor(), log());
        database_ = std::move(database);
    }

    std::unique_ptr<plugin_support::GroupCommit> start_commits(plugin_support::Transactional& database) {
        return std::make_unique<plugin_support::GroupCommit>(database, plugin_support::GroupCommit::Limits{},
                                                             [this](size_t units) { count_commit(units); });
    }

    void count_commit(size_t units) const {
        store_commits_.add();
        batch_units_.observe(static_cast<double>(units));
    }

    Rpc rpc_;
    Metrics metrics_;
    Metric store_commits_;
    Metric batch_units_;
    std::unique_ptr<plugin_support::Transactional> database_;
    std::unique_ptr<plugin_support::GroupCommit> commits_;
    std::unique_ptr<ChannelStore> store_;
    std::unique_ptr<plugin_support::AuditOutbox> outbox_;
    std::unique_ptr<ChannelService> service_;
};

}  // namespace lanchat::channel

LANCHAT_PLUGIN(lanchat::channel::ChannelPlugin, "channel", "0.1.0", lanchat::channel::kSettings)

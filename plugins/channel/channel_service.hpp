// ChannelService: the Channel RPCs over a ChannelStore — input rules, who may see and change what, page
// tokens, the JOINED and LEFT events of membership changes, and the audit entries for membership changes
// and deletions.
#pragma once

#include <functional>

#include "channel_store.hpp"

namespace lanchat::channel {

struct ChannelLimits {
    size_t max_body_bytes = 16 * 1024;  // the Router may be stricter
};

class ChannelService {
public:
    using Clock = std::function<int64_t()>;  // unix milliseconds
    // Called after a commit that staged audit entries, so the outbox sends them.
    using Recorded = std::function<void()>;
    // Told once with the answer to append() or amend(), after the store's commit, on the thread that committed
    // it (the store's committer, or the caller's own when it wrote alone).
    using Appending = std::function<void(sdk::Result<v1::AppendReply>)>;

    ChannelService(ChannelStore& store, ChannelLimits limits, Clock clock, Recorded recorded);

    // `correlation_id` goes into the audit entries a call writes.
    sdk::Result<v1::ChannelInfo> create_channel(const v1::CreateChannelRequest& request,
                                                const std::string& correlation_id);
    sdk::Result<v1::ChannelInfo> open_direct(const v1::OpenDirectRequest& request, const std::string& correlation_id);
    sdk::Result<v1::ChannelInfo> get_channel(const v1::GetChannelRequest& request);
    sdk::Result<v1::ListChannelsReply> list_channels(const v1::ListChannelsRequest& request);
    sdk::Result<v1::ChannelInfo> rename_channel(const v1::RenameChannelRequest& request,
                                                const std::string& correlation_id);
    sdk::Result<v1::ChannelInfo> archive_channel(const v1::ArchiveChannelRequest& request,
                                                 const std::string& correlation_id);
    sdk::Result<v1::Member> join(const v1::JoinRequest& request, const std::string& correlation_id);
    sdk::Result<v1::LeaveReply> leave(const v1::LeaveRequest& request, const std::string& correlation_id);
    sdk::Result<v1::Member> invite(const v1::InviteRequest& request, const std::string& correlation_id);
    sdk::Result<v1::RemoveReply> remove(const v1::RemoveRequest& request, const std::string& correlation_id);
    sdk::Result<v1::ListMembersReply> list_members(const v1::ListMembersRequest& request);
    // An admin reading a private channel they are not a member of is an audit entry (`private_history_read`).
    sdk::Result<v1::HistoryReply> history(const v1::HistoryRequest& request, const std::string& correlation_id = {});
    // A bad request is answered at once, on the calling thread.
    void append(const v1::AppendRequest& request, Appending done);
    void amend(const v1::AmendRequest& request, const std::string& correlation_id, Appending done);
    sdk::Result<v1::AudienceReply> audience(const v1::AudienceRequest& request);
    sdk::Result<v1::MembershipsReply> memberships(const v1::MembershipsRequest& request);
    sdk::Result<v1::PositionsReply> positions(const v1::PositionsRequest& request);
    sdk::Result<v1::CoMembersReply> co_members(const v1::CoMembersRequest& request);

private:
    // The channel, if it exists and `actor` may see it.
    sdk::Result<v1::ChannelInfo> visible(const v1::Actor& actor, const std::string& channel_id);
    // The channel, if `actor` owns it or is an admin.
    sdk::Result<v1::ChannelInfo> managed(const v1::Actor& actor, const std::string& channel_id);
    sdk::Status audit_private_read(const v1::Actor& actor, const v1::ChannelInfo& channel,
                                   const std::string& correlation_id);
    audit::v1::AppendRequest record(const std::string& actor_id, const char* action, const std::string& channel_id,
                                    const std::string& correlation_id, const std::string& subject = "") const;
    template <class T>
    sdk::Result<T> recorded(sdk::Result<T> result) const;
    sdk::Status recorded(sdk::Status status) const;

    ChannelStore& store_;
    ChannelLimits limits_;
    Clock clock_;
    Recorded on_recorded_;
};

}  // namespace lanchat::channel

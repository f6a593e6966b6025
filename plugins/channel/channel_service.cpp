#include "channel_service.hpp"

#include <algorithm>

#include "channel_name.hpp"
#include "checks.hpp"
#include "lanchat/ids/random_id.hpp"
#include "page_tokens.hpp"
#include "text.hpp"

namespace lanchat::channel {
namespace {

using plugin_support::check_id;

constexpr size_t kMaxTopic = 256;
constexpr size_t kMaxClientMessageId = 64;
constexpr plugin_support::PageLimits kPage;

bool is_admin(const v1::Actor& actor) {
    return std::find(actor.roles().begin(), actor.roles().end(), "admin") != actor.roles().end();
}

sdk::Status check_actor(const v1::Actor& actor) { return check_id("actor.user_id", actor.user_id()); }

uint32_t page_size(const common::v1::PageRequest& page) { return kPage.size_for(page.page_size()); }

sdk::Status check_append(const v1::AppendRequest& request, size_t max_body_bytes) {
    if (sdk::Status checked = check_id("channel_id", request.channel_id()); !checked.ok()) return checked;
    if (sdk::Status checked = check_id("author_id", request.author_id()); !checked.ok()) return checked;
    if (sdk::Status checked = plugin_support::check_utf8("body", request.body(), max_body_bytes, true); !checked.ok())
        return checked;
    if (request.client_message_id().empty() || request.client_message_id().size() > kMaxClientMessageId) {
        return sdk::invalid_argument("client_message_id is required (at most 64 bytes)");
    }
    return {};
}

sdk::Status check_amend(const v1::AmendRequest& request, size_t max_body_bytes) {
    if (sdk::Status checked = check_id("channel_id", request.channel_id()); !checked.ok()) return checked;
    if (sdk::Status checked = check_id("author_id", request.author_id()); !checked.ok()) return checked;
    if (request.delete_()) return {};
    return plugin_support::check_utf8("body", request.body(), max_body_bytes, true);
}

v1::AppendReply reply_to(Appended appended) {
    v1::AppendReply reply;
    *reply.mutable_message() = std::move(appended.message);
    reply.set_duplicate(appended.duplicate);
    return reply;
}

}  // namespace

ChannelService::ChannelService(ChannelStore& store, ChannelLimits limits, Clock clock, Recorded recorded)
    : store_(store), limits_(limits), clock_(std::move(clock)), on_recorded_(std::move(recorded)) {}

audit::v1::AppendRequest ChannelService::record(const std::string& actor_id, const char* action,
                                                const std::string& channel_id, const std::string& correlation_id,
                                                const std::string& subject) const {
    audit::v1::AppendRequest entry;
    entry.set_actor("user:" + actor_id);
    entry.set_action(action);
    entry.set_target("channel:" + channel_id);
    entry.set_outcome("ok");
    entry.set_correlation_id(correlation_id);
    if (!subject.empty()) (*entry.mutable_details())["user"] = subject;
    return entry;
}

template <class T>
sdk::Result<T> ChannelService::recorded(sdk::Result<T> result) const {
    if (result.ok()) on_recorded_();
    return result;
}

sdk::Status ChannelService::recorded(sdk::Status status) const {
    if (status.ok()) on_recorded_();
    return status;
}

sdk::Result<v1::ChannelInfo> ChannelService::visible(const v1::Actor& actor, const std::string& channel_id) {
    if (sdk::Status checked = check_actor(actor); !checked.ok()) return checked;
    if (sdk::Status checked = check_id("channel_id", channel_id); !checked.ok()) return checked;
    auto channel = store_.find_channel(channel_id);
    if (!channel.ok()) return channel.status();
    const sdk::Status missing = sdk::not_found("no channel " + channel_id);
    if (!channel->has_value()) return missing;
    if ((*channel)->kind() == v1::PUBLIC || is_admin(actor)) return **channel;
    auto member = store_.find_member(channel_id, actor.user_id());
    if (!member.ok()) return member.status();
    if (!member->has_value()) return missing;  // a private channel is not even shown to exist
    return **channel;
}

// Admins see every channel; a person reading one they were not let into is recorded before anything is
// answered. A service reading for its own work ("svc:...", the client edge filling a gap) is not a person.
sdk::Status ChannelService::audit_private_read(const v1::Actor& actor, const v1::ChannelInfo& channel,
                                               const std::string& correlation_id) {
    if (channel.kind() == v1::PUBLIC || !is_admin(actor) || actor.user_id().rfind("svc:", 0) == 0) return {};
    auto member = store_.find_member(channel.id(), actor.user_id());
    if (!member.ok()) return member.status();
    if (member->has_value()) return {};
    return recorded(store_.record({record(actor.user_id(), "private_history_read", channel.id(), correlation_id)}));
}

sdk::Result<v1::ChannelInfo> ChannelService::managed(const v1::Actor& actor, const std::string& channel_id) {
    auto channel = visible(actor, channel_id);
    if (!channel.ok() || is_admin(actor)) return channel;
    auto member = store_.find_member(channel_id, actor.user_id());
    if (!member.ok()) return member.status();
    if (!member->has_value() || (*member)->role() != v1::OWNER) {
        return sdk::Status(sdk::Code::permission_denied, "only the channel's owner or an admin may do this");
    }
    return channel;
}

sdk::Result<v1::ChannelInfo> ChannelService::create_channel(const v1::CreateChannelRequest& request,
                                                            const std::string& correlation_id) {
    if (sdk::Status checked = check_actor(request.actor()); !checked.ok()) return checked;
    if (sdk::Status checked = check_channel_name(request.name()); !checked.ok()) return checked;
    if (sdk::Status checked = plugin_support::check_utf8("topic", request.topic(), kMaxTopic, false); !checked.ok())
        return checked;
    if (request.kind() != v1::PUBLIC && request.kind() != v1::PRIVATE) {
        return sdk::invalid_argument("kind must be PUBLIC or PRIVATE (direct channels come from OpenDirect)");
    }
    const int64_t now = clock_();
    v1::ChannelInfo channel;
    channel.set_id(ids::random_id("c_"));
    channel.set_name(request.name());
    channel.set_kind(request.kind());
    channel.set_topic(request.topic());
    channel.set_created_by(request.actor().user_id());
    channel.set_created_unix_ms(now);
    channel.set_member_count(1);
    channel.set_last_sequence(1);  // the owner's JOINED event
    v1::Member owner;
    owner.set_channel_id(channel.id());
    owner.set_user_id(request.actor().user_id());
    owner.set_role(v1::OWNER);
    owner.set_joined_unix_ms(now);
    sdk::Status created = store_.create_channel(
        channel, {owner}, {record(request.actor().user_id(), "channel_created", channel.id(), correlation_id)});
    if (!recorded(created).ok()) return created;
    return channel;
}

sdk::Result<v1::ChannelInfo> ChannelService::open_direct(const v1::OpenDirectRequest& request,
                                                         const std::string& correlation_id) {
    if (sdk::Status checked = check_actor(request.actor()); !checked.ok()) return checked;
    if (sdk::Status checked = check_id("other_user_id", request.other_user_id()); !checked.ok()) return checked;
    if (request.other_user_id() == request.actor().user_id())
        return sdk::invalid_argument("a direct channel needs two users");
    std::string first = request.actor().user_id(), second = request.other_user_id();
    if (second < first) std::swap(first, second);
    const int64_t now = clock_();
    v1::ChannelInfo draft;
    draft.set_id(ids::random_id("c_"));
    draft.set_name(first + "," + second);
    draft.set_kind(v1::DIRECT);
    draft.set_created_by(request.actor().user_id());
    draft.set_created_unix_ms(now);
    std::vector<v1::Member> members;
    for (const std::string& user : {first, second}) {
        v1::Member member;
        member.set_channel_id(draft.id());
        member.set_user_id(user);
        member.set_role(v1::MEMBER);
        member.set_joined_unix_ms(now);
        members.push_back(member);
    }
    return recorded(store_.open_direct(
        first + "|" + second, draft, members,
        {record(request.actor().user_id(), "direct_opened", draft.id(), correlation_id, request.other_user_id())}));
}

sdk::Result<v1::ChannelInfo> ChannelService::get_channel(const v1::GetChannelRequest& request) {
    return visible(request.actor(), request.channel_id());
}

sdk::Result<v1::ListChannelsReply> ChannelService::list_channels(const v1::ListChannelsRequest& request) {
    if (sdk::Status checked = check_actor(request.actor()); !checked.ok()) return checked;
    auto cursor = channel_cursor(request.page().page_token());
    if (!cursor.ok()) return cursor.status();
    const uint32_t limit = page_size(request.page());
    auto channels = store_.visible_channels(request.actor().user_id(), request.include_archived(), *cursor, limit + 1);
    if (!channels.ok()) return channels.status();
    v1::ListChannelsReply reply;
    for (size_t i = 0; i < channels->size() && i < limit; ++i) *reply.add_channels() = (*channels)[i];
    if (channels->size() > limit) {
        const v1::ChannelInfo& last = (*channels)[limit - 1];
        reply.mutable_page()->set_next_page_token(
            page_token("channels", std::to_string(last.created_unix_ms()) + ":" + last.id()));
    }
    return reply;
}

sdk::Result<v1::ChannelInfo> ChannelService::rename_channel(const v1::RenameChannelRequest& request,
                                                            const std::string& correlation_id) {
    if (sdk::Status checked = check_channel_name(request.name()); !checked.ok()) return checked;
    auto channel = managed(request.actor(), request.channel_id());
    if (!channel.ok()) return channel;
    if (channel->kind() == v1::DIRECT) return sdk::failed_precondition("direct channels have no name to change");
    channel->set_name(request.name());
    sdk::Status updated =
        store_.rename_channel(channel->id(), request.name(),
                              {record(request.actor().user_id(), "channel_renamed", channel->id(), correlation_id)});
    if (!recorded(updated).ok()) return updated;
    return channel;
}

sdk::Result<v1::ChannelInfo> ChannelService::archive_channel(const v1::ArchiveChannelRequest& request,
                                                             const std::string& correlation_id) {
    auto channel = managed(request.actor(), request.channel_id());
    if (!channel.ok() || channel->archived()) return channel;
    channel->set_archived(true);
    sdk::Status updated = store_.archive_channel(
        channel->id(), {record(request.actor().user_id(), "channel_archived", channel->id(), correlation_id)});
    if (!recorded(updated).ok()) return updated;
    return channel;
}

sdk::Result<v1::Member> ChannelService::join(const v1::JoinRequest& request, const std::string& correlation_id) {
    auto channel = visible(request.actor(), request.channel_id());
    if (!channel.ok()) return channel.status();
    auto existing = store_.find_member(channel->id(), request.actor().user_id());
    if (!existing.ok()) return existing.status();
    if (existing->has_value()) return **existing;
    if (channel->kind() != v1::PUBLIC) {
        return sdk::Status(sdk::Code::permission_denied, "this channel is joined by invitation only");
    }
    if (channel->archived()) return sdk::failed_precondition("the channel is archived");
    v1::Member member;
    member.set_channel_id(channel->id());
    member.set_user_id(request.actor().user_id());
    member.set_role(v1::MEMBER);
    member.set_joined_unix_ms(clock_());
    auto joined = store_.add_member(member, member.user_id(),
                                    {record(member.user_id(), "channel_joined", channel->id(), correlation_id)});
    if (!recorded(joined).ok()) return joined.status();
    member.set_sequence(*joined);
    return member;
}

sdk::Result<v1::LeaveReply> ChannelService::leave(const v1::LeaveRequest& request, const std::string& correlation_id) {
    auto channel = visible(request.actor(), request.channel_id());
    if (!channel.ok()) return channel.status();
    if (channel->kind() == v1::DIRECT) return sdk::failed_precondition("one cannot leave a direct channel");
    auto existing = store_.find_member(channel->id(), request.actor().user_id());
    if (!existing.ok()) return existing.status();
    if (!existing->has_value()) return v1::LeaveReply();
    auto left =
        store_.remove_member(channel->id(), request.actor().user_id(), request.actor().user_id(), clock_(),
                             {record(request.actor().user_id(), "channel_left", channel->id(), correlation_id)});
    if (!recorded(left).ok()) return left.status();
    v1::LeaveReply reply;
    reply.set_sequence(*left);
    return reply;
}

sdk::Result<v1::Member> ChannelService::invite(const v1::InviteRequest& request, const std::string& correlation_id) {
    if (sdk::Status checked = check_id("user_id", request.user_id()); !checked.ok()) return checked;
    auto channel = managed(request.actor(), request.channel_id());
    if (!channel.ok()) return channel.status();
    if (channel->kind() == v1::DIRECT) return sdk::failed_precondition("a direct channel has exactly two members");
    if (channel->archived()) return sdk::failed_precondition("the channel is archived");
    auto existing = store_.find_member(channel->id(), request.user_id());
    if (!existing.ok()) return existing.status();
    if (existing->has_value()) return **existing;
    v1::Member member;
    member.set_channel_id(channel->id());
    member.set_user_id(request.user_id());
    member.set_role(v1::MEMBER);
    member.set_joined_unix_ms(clock_());
    auto joined = store_.add_member(
        member, request.actor().user_id(),
        {record(request.actor().user_id(), "member_invited", channel->id(), correlation_id, request.user_id())});
    if (!recorded(joined).ok()) return joined.status();
    member.set_sequence(*joined);
    return member;
}

sdk::Result<v1::RemoveReply> ChannelService::remove(const v1::RemoveRequest& request,
                                                    const std::string& correlation_id) {
    if (sdk::Status checked = check_id("user_id", request.user_id()); !checked.ok()) return checked;
    auto channel = managed(request.actor(), request.channel_id());
    if (!channel.ok()) return channel.status();
    if (channel->kind() == v1::DIRECT) return sdk::failed_precondition("a direct channel has exactly two members");
    auto existing = store_.find_member(channel->id(), request.user_id());
    if (!existing.ok()) return existing.status();
    if (!existing->has_value()) return v1::RemoveReply();
    auto left = store_.remove_member(
        channel->id(), request.user_id(), request.actor().user_id(), clock_(),
        {record(request.actor().user_id(), "member_removed", channel->id(), correlation_id, request.user_id())});
    if (!recorded(left).ok()) return left.status();
    v1::RemoveReply reply;
    reply.set_sequence(*left);
    return reply;
}

sdk::Result<v1::ListMembersReply> ChannelService::list_members(const v1::ListMembersRequest& request) {
    auto channel = visible(request.actor(), request.channel_id());
    if (!channel.ok()) return channel.status();
    std::string after;
    if (!request.page().page_token().empty()) {
        auto position = token_position(request.page().page_token(), "members");
        if (!position.ok()) return position.status();
        after = *position;
    }
    const uint32_t limit = page_size(request.page());
    auto members = store_.members(channel->id(), after, limit + 1);
    if (!members.ok()) return members.status();
    v1::ListMembersReply reply;
    for (size_t i = 0; i < members->size() && i < limit; ++i) *reply.add_members() = (*members)[i];
    if (members->size() > limit)
        reply.mutable_page()->set_next_page_token(page_token("members", (*members)[limit - 1].user_id()));
    return reply;
}

sdk::Result<v1::HistoryReply> ChannelService::history(const v1::HistoryRequest& request,
                                                      const std::string& correlation_id) {
    auto channel = visible(request.actor(), request.channel_id());
    if (!channel.ok()) return channel.status();
    if (sdk::Status audited = audit_private_read(request.actor(), *channel, correlation_id); !audited.ok())
        return audited;
    const uint64_t last = channel->last_sequence();
    const auto direction =
        request.direction() == v1::HistoryRequest::BEFORE ? v1::HistoryRequest::BEFORE : v1::HistoryRequest::AFTER;
    const bool out_of_range =
        direction == v1::HistoryRequest::AFTER ? request.from_sequence() > last : request.from_sequence() > last + 1;
    if (out_of_range) {
        return sdk::Status(sdk::Code::out_of_range, "from_sequence " + std::to_string(request.from_sequence()) +
                                                        " is past the channel's last message (" + std::to_string(last) +
                                                        ")");
    }
    const uint32_t limit = kPage.size_for(request.limit());
    auto messages = store_.messages(channel->id(), request.from_sequence(), direction, limit + 1);
    if (!messages.ok()) return messages.status();
    v1::HistoryReply reply;
    for (size_t i = 0; i < messages->size() && i < limit; ++i) *reply.add_messages() = (*messages)[i];
    reply.set_more(messages->size() > limit);
    reply.set_last_sequence(last);
    return reply;
}

void ChannelService::append(const v1::AppendRequest& request, Appending done) {
    if (sdk::Status checked = check_append(request, limits_.max_body_bytes); !checked.ok()) return done(checked);
    v1::Message draft;
    draft.set_channel_id(request.channel_id());
    draft.set_author_id(request.author_id());
    draft.set_body(request.body());
    draft.set_server_time_unix_ms(clock_());
    draft.set_client_message_id(request.client_message_id());
    draft.set_event(v1::Message::POSTED);
    store_.append(std::move(draft), {}, [done = std::move(done)](sdk::Result<Appended> appended) {
        if (!appended.ok()) return done(appended.status());
        done(reply_to(std::move(appended).value()));
    });
}

void ChannelService::amend(const v1::AmendRequest& request, const std::string& correlation_id, Appending done) {
    if (sdk::Status checked = check_amend(request, limits_.max_body_bytes); !checked.ok()) return done(checked);
    v1::Message event;
    event.set_channel_id(request.channel_id());
    event.set_author_id(request.author_id());
    event.set_body(request.delete_() ? "" : request.body());
    event.set_server_time_unix_ms(clock_());
    event.set_event(request.delete_() ? v1::Message::DELETED : v1::Message::EDITED);
    event.set_target_sequence(request.target_sequence());
    Records records;
    if (request.delete_()) {
        records.push_back(record(request.author_id(), "message_deleted", request.channel_id(), correlation_id));
        (*records.back().mutable_details())["sequence"] = std::to_string(request.target_sequence());
    }
    const bool records_anything = !records.empty();
    store_.amend(std::move(event), std::move(records),
                 [this, records_anything, done = std::move(done)](sdk::Result<Appended> appended) {
                     if (!appended.ok()) return done(appended.status());
                     if (records_anything) on_recorded_();
                     done(reply_to(std::move(appended).value()));
                 });
}

sdk::Result<v1::MembershipsReply> ChannelService::memberships(const v1::MembershipsRequest& request) {
    if (sdk::Status checked = check_id("user_id", request.user_id()); !checked.ok()) return checked;
    std::string after;
    if (!request.page().page_token().empty()) {
        auto position = token_position(request.page().page_token(), "memberships");
        if (!position.ok()) return position.status();
        after = *position;
    }
    const uint32_t limit = page_size(request.page());
    auto channels = store_.memberships(request.user_id(), after, limit + 1);
    if (!channels.ok()) return channels.status();
    v1::MembershipsReply reply;
    for (size_t i = 0; i < channels->size() && i < limit; ++i) *reply.add_channels() = (*channels)[i];
    if (channels->size() > limit)
        reply.mutable_page()->set_next_page_token(page_token("memberships", (*channels)[limit - 1].channel_id()));
    return reply;
}

}  // namespace lanchat::channel

// Channel requests: list, create, get, join, leave, invite, remove, members, the user's own memberships, and
// opening a direct channel.
// Channel decides who may do what; the session's user and roles go with every request (the actor). A
// change that appended membership events is announced to every edge (Router.Announce) before the client
// is answered, so the members' connections everywhere follow the channel from that event on.
#include "gateway_service.hpp"
#include "lanchat/router/v1/router.pb.h"

namespace lanchat::gateway {

namespace channel_v1 = channel::v1;

namespace {

constexpr uint32_t kMembershipsPerPage = 500;  // Channel's largest page

// A request about one channel as the session's user: the actor and the channel id every such request names.
template <class Request>
Request about_channel(const ClientRequest& client, const Fields& fields) {
    Request request;
    *request.mutable_actor() = client.session->actor();
    request.set_channel_id(fields.text("channel_id", kMaxId));
    return request;
}

}  // namespace

void GatewayService::on_channels_list(const ClientRequest& client, const Fields& fields) {
    channel_v1::ListChannelsRequest request;
    *request.mutable_actor() = client.session->actor();
    request.set_include_archived(fields.flag("include_archived"));
    request.mutable_page()->set_page_token(fields.text("page_token", kMaxText, false));
    call<channel_v1::ListChannelsRequest, channel_v1::ListChannelsReply>(
        client, "channel", "ListChannels", request, [this, client](const channel_v1::ListChannelsReply& reply) {
            json channels = json::array();
            for (const auto& channel : reply.channels()) channels.push_back(channel_json(channel));
            this->reply(client, {{"channels", channels}, {"next_page_token", reply.page().next_page_token()}});
        });
}

void GatewayService::on_channels_create(const ClientRequest& client, const Fields& fields) {
    channel_v1::CreateChannelRequest request;
    *request.mutable_actor() = client.session->actor();
    request.set_name(fields.text("name", kMaxName));
    std::string kind = fields.text("kind", 16, false);
    if (kind != "" && kind != "public" && kind != "private") {
        throw Refusal("bad_request", "field 'kind' must be \"public\" or \"private\"");
    }
    request.set_kind(kind == "private" ? channel_v1::PRIVATE : channel_v1::PUBLIC);
    request.set_topic(fields.text("topic", kMaxText, false));
    call<channel_v1::CreateChannelRequest, channel_v1::ChannelInfo>(
        client, "channel", "CreateChannel", request,
        [this, client](const channel_v1::ChannelInfo& channel) {
            announce(channel.id(), 0, channel.last_sequence(), [this, client, channel] {
                reply(client, {{"channel", channel_json(channel)}});
            });
        },
        {}, false);
}

void GatewayService::on_channels_get(const ClientRequest& client, const Fields& fields) {
    auto request = about_channel<channel_v1::GetChannelRequest>(client, fields);
    call<channel_v1::GetChannelRequest, channel_v1::ChannelInfo>(
        client, "channel", "GetChannel", request, [this, client](const channel_v1::ChannelInfo& channel) {
            reply(client, {{"channel", channel_json(channel)}});
        });
}

void GatewayService::on_channels_join(const ClientRequest& client, const Fields& fields) {
    auto request = about_channel<channel_v1::JoinRequest>(client, fields);
    call<channel_v1::JoinRequest, channel_v1::Member>(client, "channel", "Join", request,
                                                      announcing<channel_v1::Member>(client, request.channel_id()));
}

void GatewayService::on_channels_leave(const ClientRequest& client, const Fields& fields) {
    auto request = about_channel<channel_v1::LeaveRequest>(client, fields);
    call<channel_v1::LeaveRequest, channel_v1::LeaveReply>(
        client, "channel", "Leave", request, announcing<channel_v1::LeaveReply>(client, request.channel_id()));
}

void GatewayService::on_channels_invite(const ClientRequest& client, const Fields& fields) {
    auto request = about_channel<channel_v1::InviteRequest>(client, fields);
    request.set_user_id(fields.text("user_id", kMaxId));
    call<channel_v1::InviteRequest, channel_v1::Member>(client, "channel", "Invite", request,
                                                        announcing<channel_v1::Member>(client, request.channel_id()));
}

void GatewayService::on_channels_remove(const ClientRequest& client, const Fields& fields) {
    auto request = about_channel<channel_v1::RemoveRequest>(client, fields);
    request.set_user_id(fields.text("user_id", kMaxId));
    call<channel_v1::RemoveRequest, channel_v1::RemoveReply>(
        client, "channel", "Remove", request, announcing<channel_v1::RemoveReply>(client, request.channel_id()));
}

template <class Reply>
std::function<void(const Reply&)> GatewayService::announcing(const ClientRequest& client,
                                                             const std::string& channel_id) {
    return [this, client, channel_id](const Reply& changed) {
        if (changed.sequence() == 0) return reply(client, json::object());  // nothing changed: nothing to tell
        announce(channel_id, changed.sequence() - 1, changed.sequence(),
                 [this, client] { reply(client, json::object()); });
    };
}

// The change is durable already: a failed announcement is logged, and the edges learn of it from the
// history when the channel's next message shows them the gap.
void GatewayService::announce(const std::string& channel_id, uint64_t after, uint64_t through,
                              std::function<void()> then) {
    if (through <= after) return then();
    router::v1::AnnounceRequest request;
    request.set_channel_id(channel_id);
    request.set_after_sequence(after);
    request.set_through_sequence(through);
    sdk::Result<sdk::CallOptions> how = options("router", "Announce", true);
    if (!how.ok()) {
        log_.error(how.status().message());
        return then();
    }
    rpc_.call<router::v1::AnnounceRequest, router::v1::AnnounceReply>(
        *how, request, [this, channel_id, then = std::move(then)](sdk::Result<router::v1::AnnounceReply> done) {
            if (!done.ok()) {
                log_.warn("could not announce a membership change to the edges",
                          {{"channel_id", channel_id}, {"reason", done.status().message()}});
            }
            then();
        });
}

void GatewayService::on_channels_members(const ClientRequest& client, const Fields& fields) {
    auto request = about_channel<channel_v1::ListMembersRequest>(client, fields);
    request.mutable_page()->set_page_token(fields.text("page_token", kMaxText, false));
    call<channel_v1::ListMembersRequest, channel_v1::ListMembersReply>(
        client, "channel", "ListMembers", request, [this, client](const channel_v1::ListMembersReply& reply) {
            json members = json::array();
            for (const auto& member : reply.members()) {
                members.push_back(
                    {{"user_id", member.user_id()}, {"role", member.role() == channel_v1::OWNER ? "owner" : "member"}});
            }
            this->reply(client, {{"members", members}, {"next_page_token", reply.page().next_page_token()}});
        });
}

void GatewayService::on_channels_mine(const ClientRequest& client, const Fields& fields) {
    channel_v1::MembershipsRequest request;
    request.set_user_id(client.session->user());
    request.mutable_page()->set_page_size(kMembershipsPerPage);
    request.mutable_page()->set_page_token(fields.text("page_token", kMaxText, false));
    call<channel_v1::MembershipsRequest, channel_v1::MembershipsReply>(
        client, "channel", "Memberships", request, [this, client](const channel_v1::MembershipsReply& reply) {
            json channels = json::array();
            for (const auto& position : reply.channels()) {
                channels.push_back(
                    {{"channel_id", position.channel_id()}, {"last_sequence", position.last_sequence()}});
            }
            this->reply(client, {{"channels", channels}, {"next_page_token", reply.page().next_page_token()}});
        });
}

void GatewayService::on_direct_open(const ClientRequest& client, const Fields& fields) {
    channel_v1::OpenDirectRequest request;
    *request.mutable_actor() = client.session->actor();
    request.set_other_user_id(fields.text("user_id", kMaxId));
    call<channel_v1::OpenDirectRequest, channel_v1::ChannelInfo>(
        client, "channel", "OpenDirect", request,
        [this, client](const channel_v1::ChannelInfo& channel) {
            // Its first two entries are its members' JOINED events; for a channel opened before, a repeat
            // the edges drop.
            announce(channel.id(), 0, std::min<uint64_t>(channel.last_sequence(), 2), [this, client, channel] {
                reply(client, {{"channel", channel_json(channel)}});
            });
        },
        {}, false);
}

}  // namespace lanchat::gateway

// Channel requests: list, create, get, join, leave, invite, remove, members, and opening a direct channel.
// Channel decides who may do what; the session's user and roles go with every request (the actor).
#include "gateway_service.hpp"

namespace lanchat::gateway {

namespace channel_v1 = channel::v1;

namespace {

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
            reply(client, {{"channel", channel_json(channel)}});
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
    call<channel_v1::JoinRequest, channel_v1::Member>(client, "channel", "Join",
                                                      about_channel<channel_v1::JoinRequest>(client, fields),
                                                      acknowledge<channel_v1::Member>(client));
}

void GatewayService::on_channels_leave(const ClientRequest& client, const Fields& fields) {
    call<channel_v1::LeaveRequest, channel_v1::LeaveReply>(client, "channel", "Leave",
                                                           about_channel<channel_v1::LeaveRequest>(client, fields),
                                                           acknowledge<channel_v1::LeaveReply>(client));
}

void GatewayService::on_channels_invite(const ClientRequest& client, const Fields& fields) {
    auto request = about_channel<channel_v1::InviteRequest>(client, fields);
    request.set_user_id(fields.text("user_id", kMaxId));
    call<channel_v1::InviteRequest, channel_v1::Member>(client, "channel", "Invite", request,
                                                        acknowledge<channel_v1::Member>(client));
}

void GatewayService::on_channels_remove(const ClientRequest& client, const Fields& fields) {
    auto request = about_channel<channel_v1::RemoveRequest>(client, fields);
    request.set_user_id(fields.text("user_id", kMaxId));
    call<channel_v1::RemoveRequest, channel_v1::RemoveReply>(client, "channel", "Remove", request,
                                                             acknowledge<channel_v1::RemoveReply>(client));
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

void GatewayService::on_direct_open(const ClientRequest& client, const Fields& fields) {
    channel_v1::OpenDirectRequest request;
    *request.mutable_actor() = client.session->actor();
    request.set_other_user_id(fields.text("user_id", kMaxId));
    call<channel_v1::OpenDirectRequest, channel_v1::ChannelInfo>(
        client, "channel", "OpenDirect", request,
        [this, client](const channel_v1::ChannelInfo& channel) {
            reply(client, {{"channel", channel_json(channel)}});
        },
        {}, false);
}

}  // namespace lanchat::gateway

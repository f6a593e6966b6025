// The questions the Router and the client edge ask that change nothing and page nothing: who hears a typing
// notice (Audience), where logs end (Positions), whose presence a user may watch (CoMembers).
#include "channel_service.hpp"
#include "checks.hpp"

namespace lanchat::channel {
namespace {

using plugin_support::check_id;

constexpr plugin_support::PageLimits kPage;
constexpr size_t kMaxCoMembers = 1000;

}  // namespace

sdk::Result<v1::AudienceReply> ChannelService::audience(const v1::AudienceRequest& request) {
    if (sdk::Status checked = check_id("channel_id", request.channel_id()); !checked.ok()) return checked;
    if (sdk::Status checked = check_id("user_id", request.user_id()); !checked.ok()) return checked;
    auto member = store_.find_member(request.channel_id(), request.user_id());
    if (!member.ok()) return member.status();
    if (!member->has_value()) return sdk::Status(sdk::Code::permission_denied, "you are not a member of this channel");
    v1::AudienceReply reply;
    std::string after;
    for (;;) {
        auto page = store_.members(request.channel_id(), after, kPage.max);
        if (!page.ok()) return page.status();
        for (const v1::Member& each : *page) reply.add_member_ids(each.user_id());
        if (page->size() < kPage.max) break;
        after = page->back().user_id();
    }
    return reply;
}

sdk::Result<v1::PositionsReply> ChannelService::positions(const v1::PositionsRequest& request) {
    if (request.channel_ids().empty()) return sdk::invalid_argument("channel_ids names no channel");
    if (request.channel_ids_size() > static_cast<int>(kPage.max)) {
        return sdk::invalid_argument("channel_ids names " + std::to_string(request.channel_ids_size()) +
                                     " channels; at most " + std::to_string(kPage.max) + " a call");
    }
    for (const std::string& id : request.channel_ids()) {
        if (sdk::Status checked = check_id("channel_ids item", id); !checked.ok()) return checked;
    }
    auto found = store_.positions({request.channel_ids().begin(), request.channel_ids().end()});
    if (!found.ok()) return found.status();
    v1::PositionsReply reply;
    for (v1::Position& position : *found) *reply.add_positions() = std::move(position);
    return reply;
}

sdk::Result<v1::CoMembersReply> ChannelService::co_members(const v1::CoMembersRequest& request) {
    if (sdk::Status checked = check_id("user_id", request.user_id()); !checked.ok()) return checked;
    if (request.user_ids().empty()) return sdk::invalid_argument("user_ids names no user");
    if (request.user_ids_size() > static_cast<int>(kMaxCoMembers)) {
        return sdk::invalid_argument("user_ids names " + std::to_string(request.user_ids_size()) + " users; at most " +
                                     std::to_string(kMaxCoMembers) + " a call");
    }
    for (const std::string& id : request.user_ids()) {
        if (sdk::Status checked = check_id("user_ids item", id); !checked.ok()) return checked;
    }
    auto found = store_.co_members(request.user_id(), {request.user_ids().begin(), request.user_ids().end()});
    if (!found.ok()) return found.status();
    v1::CoMembersReply reply;
    for (std::string& id : *found) reply.add_user_ids(std::move(id));
    return reply;
}

}  // namespace lanchat::channel

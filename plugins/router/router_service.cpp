#include "router_service.hpp"

#include <tuple>

#include "checks.hpp"
#include "text.hpp"

namespace lanchat::router {
namespace {

using plugin_support::check_id;

constexpr uint32_t kCatchUpPage = 500;
constexpr size_t kMaxResumedChannels = 1000;

std::vector<std::string> ids_of(const google::protobuf::RepeatedPtrField<std::string>& ids) {
    return {ids.begin(), ids.end()};
}

}  // namespace

RouterService::RouterService(ChannelLog& channels, RouterLimits limits) : channels_(channels), limits_(limits) {}

void RouterService::send(const v1::SendRequest& request, Done<v1::SendReply> done) {
    for (auto [what, id] : {std::pair{"user_id", &request.user_id()}, std::pair{"channel_id", &request.channel_id()},
                            std::pair{"client_message_id", &request.client_message_id()}}) {
        if (sdk::Status checked = check_id(what, *id); !checked.ok()) return done(checked);
    }
    if (sdk::Status checked = check_body(request.body()); !checked.ok()) return done(checked);
    channel::v1::AppendRequest append;
    append.set_channel_id(request.channel_id());
    append.set_author_id(request.user_id());
    append.set_body(request.body());
    append.set_client_message_id(request.client_message_id());
    channels_.append(append, acknowledging(std::move(done)));
}

void RouterService::edit(const v1::EditRequest& request, Done<v1::SendReply> done) {
    if (sdk::Status checked = check_body(request.body()); !checked.ok()) return done(checked);
    channel::v1::AmendRequest amend;
    amend.set_channel_id(request.channel_id());
    amend.set_author_id(request.user_id());
    amend.set_target_sequence(request.sequence());
    amend.set_body(request.body());
    channels_.amend(amend, acknowledging(std::move(done)));
}

void RouterService::remove(const v1::DeleteRequest& request, Done<v1::SendReply> done) {
    channel::v1::AmendRequest amend;
    amend.set_channel_id(request.channel_id());
    amend.set_author_id(request.user_id());
    amend.set_target_sequence(request.sequence());
    amend.set_delete_(true);
    channels_.amend(amend, acknowledging(std::move(done)));
}

sdk::Status RouterService::check_body(const std::string& body) const {
    return plugin_support::check_utf8("body", body, limits_.max_body_bytes, true);
}

Done<channel::v1::AppendReply> RouterService::acknowledging(Done<v1::SendReply> done) {
    return [this, done = std::move(done)](auto appended) { acknowledged(appended, done); };
}

// The message is durable once Channel answered: acknowledge first, then deliver.
void RouterService::acknowledged(const sdk::Result<channel::v1::AppendReply>& appended, Done<v1::SendReply> done) {
    if (!appended.ok()) return done(appended.status());
    v1::SendReply reply;
    reply.set_sequence(appended->message().sequence());
    reply.set_server_time_unix_ms(appended->message().server_time_unix_ms());
    reply.set_duplicate(appended->duplicate());
    done(reply);
    // Also for a duplicate: "stored before" is not "delivered before" (the first answer may have been lost);
    // the sequencer and each subscription drop what they already passed on.
    fan_out(appended->message(), ids_of(appended->member_ids()));
}

void RouterService::typing(const v1::TypingRequest& request, Done<v1::TypingReply> done) {
    if (sdk::Status checked = check_id("user_id", request.user_id()); !checked.ok()) return done(checked);
    if (sdk::Status checked = check_id("channel_id", request.channel_id()); !checked.ok()) return done(checked);
    channel::v1::AudienceRequest audience;
    audience.set_channel_id(request.channel_id());
    audience.set_user_id(request.user_id());
    channels_.audience(
        audience, [this, request, done = std::move(done)](sdk::Result<channel::v1::AudienceReply> members) {
            if (!members.ok()) return done(members.status());
            v1::Delivery delivery;
            v1::TypingNotice& notice = *delivery.mutable_typing();
            notice.set_channel_id(request.channel_id());
            notice.set_user_id(request.user_id());
            notice.set_unix_ms(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
            std::lock_guard lock(mutex_);
            std::vector<uint64_t> gone;
            for (const std::string& member : members->member_ids()) {
                if (member == request.user_id()) continue;
                auto [begin, end] = by_user_.equal_range(member);
                for (auto it = begin; it != end; ++it) {
                    if (!subscriptions_.at(it->second).sink->deliver(delivery)) gone.push_back(it->second);
                }
            }
            for (uint64_t id : gone)
                drop_locked(id, {sdk::Code::resource_exhausted, "the subscriber cannot keep up; resume"});
            done(v1::TypingReply());
        });
}

// Messages of one channel may come back from Channel out of order (concurrent sends); they leave here in
// sequence order. One that waits on a missing predecessor for gap_wait fetches it from the history.
void RouterService::fan_out(const channel::v1::Message& message, const std::vector<std::string>& members) {
    std::lock_guard lock(mutex_);
    Sequencer& sequencer = sequencers_[message.channel_id()];
    // The first message of a channel seen since the Router started: 1 is surely first; any other may have a
    // lower one racing it, so the sequencer starts at the lowest that arrived within gap_wait (check_gaps).
    if (sequencer.next == 0 && message.sequence() == 1) sequencer.next = 1;
    if (sequencer.next != 0 && message.sequence() < sequencer.next) return;  // passed on already
    sequencer.waiting.emplace(message.sequence(), std::pair{message, members});
    release_in_order(sequencer);
}

void RouterService::release_in_order(Sequencer& sequencer) {
    while (sequencer.next != 0 && !sequencer.waiting.empty() && sequencer.waiting.begin()->first == sequencer.next) {
        auto node = sequencer.waiting.extract(sequencer.waiting.begin());
        deliver_locked(node.mapped().first, node.mapped().second);
        ++sequencer.next;
    }
    if (sequencer.waiting.empty())
        sequencer.gap_since = {};
    else if (sequencer.gap_since == std::chrono::steady_clock::time_point{})
        sequencer.gap_since = std::chrono::steady_clock::now();
}

void RouterService::check_gaps() {
    std::vector<std::tuple<std::string, uint64_t, uint64_t, std::vector<std::string>>> gaps;
    {
        std::lock_guard lock(mutex_);
        const auto now = std::chrono::steady_clock::now();
        for (auto& [channel_id, sequencer] : sequencers_) {
            if (sequencer.waiting.empty() || sequencer.fetching || now - sequencer.gap_since < limits_.gap_wait)
                continue;
            if (sequencer.next == 0) {  // started: from the lowest that came
                sequencer.next = sequencer.waiting.begin()->first;
                release_in_order(sequencer);
                continue;
            }
            sequencer.fetching = true;
            gaps.emplace_back(channel_id, sequencer.next, sequencer.waiting.begin()->first,
                              sequencer.waiting.begin()->second.second);
        }
    }
    for (auto& [channel_id, from, to, members] : gaps) fetch_gap(channel_id, from, to, std::move(members));
}

void RouterService::fetch_gap(const std::string& channel_id, uint64_t missing_from, uint64_t missing_to,
                              std::vector<std::string> members) {
    // The Router reads the log as a service, not as a user.
    channel::v1::HistoryRequest request;
    request.mutable_actor()->set_user_id("svc:router");
    request.mutable_actor()->add_roles("admin");
    request.set_channel_id(channel_id);
    request.set_from_sequence(missing_from - 1);
    request.set_direction(channel::v1::HistoryRequest::AFTER);
    request.set_limit(static_cast<uint32_t>(std::min<uint64_t>(missing_to - missing_from, kCatchUpPage)));
    channels_.history(request, [this, channel_id, members](sdk::Result<channel::v1::HistoryReply> page) {
        std::lock_guard lock(mutex_);
        Sequencer& sequencer = sequencers_[channel_id];
        sequencer.fetching = false;
        sequencer.gap_since = std::chrono::steady_clock::now();
        if (page.ok()) {
            for (const channel::v1::Message& message : page->messages()) {
                if (message.sequence() >= sequencer.next)
                    sequencer.waiting.emplace(message.sequence(), std::pair{message, members});
            }
        }
        release_in_order(sequencer);
    });
}

void RouterService::deliver_locked(const channel::v1::Message& message, const std::vector<std::string>& members) {
    std::vector<uint64_t> gone;
    for (const std::string& member : members) {
        auto [begin, end] = by_user_.equal_range(member);
        for (auto it = begin; it != end; ++it) {
            if (!deliver_to_locked(subscriptions_.at(it->second), message)) gone.push_back(it->second);
        }
    }
    for (uint64_t id : gone) drop_locked(id, {sdk::Code::resource_exhausted, "the subscriber cannot keep up; resume"});
}

bool RouterService::deliver_to_locked(Subscription& subscription, const channel::v1::Message& message) {
    if (auto held = subscription.held.find(message.channel_id()); held != subscription.held.end()) {
        held->second.push_back(message);  // still catching up on this channel: it goes out after the history
        return true;
    }
    auto last = subscription.last.find(message.channel_id());
    if (last != subscription.last.end() && message.sequence() <= last->second) return true;  // had it already
    v1::Delivery delivery;
    *delivery.mutable_message() = message;
    if (!subscription.sink->deliver(delivery)) return false;
    subscription.last[message.channel_id()] = message.sequence();
    return true;
}

sdk::Result<uint64_t> RouterService::subscribe(const v1::SubscribeRequest& request,
                                               std::shared_ptr<DeliverySink> sink) {
    if (sdk::Status checked = check_id("user_id", request.user_id()); !checked.ok()) return checked;
    if (request.resume_after_size() > static_cast<int>(kMaxResumedChannels)) {
        return sdk::invalid_argument("resume_after names more than " + std::to_string(kMaxResumedChannels) +
                                     " channels");
    }
    for (const auto& [channel_id, after] : request.resume_after()) {
        if (sdk::Status checked = check_id("resume_after channel id", channel_id); !checked.ok()) return checked;
    }
    uint64_t id;
    {
        std::lock_guard lock(mutex_);
        id = next_id_++;
        Subscription& subscription = subscriptions_[id];
        subscription.id = id;
        subscription.user_id = request.user_id();
        subscription.sink = std::move(sink);
        for (const auto& [channel_id, after] : request.resume_after()) {
            subscription.held[channel_id];
            subscription.last[channel_id] = after;
        }
        by_user_.emplace(request.user_id(), id);
    }
    for (const auto& [channel_id, after] : request.resume_after()) catch_up(id, request.user_id(), channel_id, after);
    return id;
}

// Pages through the history after `after`, then lets the held live messages out.
void RouterService::catch_up(uint64_t id, std::string user_id, std::string channel_id, uint64_t after) {
    channel::v1::HistoryRequest request;
    request.mutable_actor()->set_user_id(user_id);
    request.set_channel_id(channel_id);
    request.set_from_sequence(after);
    request.set_direction(channel::v1::HistoryRequest::AFTER);
    request.set_limit(kCatchUpPage);
    channels_.history(request, [this, id, user_id, channel_id](sdk::Result<channel::v1::HistoryReply> page) {
        std::lock_guard lock(mutex_);
        auto found = subscriptions_.find(id);
        if (found == subscriptions_.end()) return;
        Subscription& subscription = found->second;
        if (!page.ok()) return drop_locked(id, page.status());
        uint64_t& last = subscription.last[channel_id];
        for (const channel::v1::Message& message : page->messages()) {
            if (message.sequence() <= last) continue;
            v1::Delivery delivery;
            *delivery.mutable_message() = message;
            if (!subscription.sink->deliver(delivery)) {
                return drop_locked(id, {sdk::Code::resource_exhausted, "the subscriber cannot keep up; resume"});
            }
            last = message.sequence();
        }
        if (page->more()) return catch_up(id, user_id, channel_id, last);
        std::vector<channel::v1::Message> held = std::move(subscription.held[channel_id]);
        subscription.held.erase(channel_id);
        for (const channel::v1::Message& message : held) {
            if (!deliver_to_locked(subscription, message)) {
                return drop_locked(id, {sdk::Code::resource_exhausted, "the subscriber cannot keep up; resume"});
            }
        }
    });
}

void RouterService::unsubscribe(uint64_t id) {
    std::lock_guard lock(mutex_);
    auto found = subscriptions_.find(id);
    if (found == subscriptions_.end()) return;
    auto [begin, end] = by_user_.equal_range(found->second.user_id);
    for (auto it = begin; it != end; ++it) {
        if (it->second == id) {
            by_user_.erase(it);
            break;
        }
    }
    subscriptions_.erase(found);
}

void RouterService::drop_locked(uint64_t id, const sdk::Status& status) {
    auto found = subscriptions_.find(id);
    if (found == subscriptions_.end()) return;
    std::shared_ptr<DeliverySink> sink = found->second.sink;
    unsubscribe(id);
    sink->end(status);
}

void RouterService::end_all(const sdk::Status& status) {
    std::lock_guard lock(mutex_);
    std::vector<uint64_t> ids;
    for (const auto& [id, subscription] : subscriptions_) ids.push_back(id);
    for (uint64_t id : ids) drop_locked(id, status);
}

size_t RouterService::subscriptions() const {
    std::lock_guard lock(mutex_);
    return subscriptions_.size();
}

}  // namespace lanchat::router

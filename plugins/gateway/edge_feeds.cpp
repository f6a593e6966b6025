#include "edge_feeds.hpp"

#include <algorithm>

#include "frames.hpp"

namespace lanchat::gateway {
namespace {

// A catch-up reads its channel a page at a time, the next page once this one is handed on: one resume from
// sequence 0 holds at most this many messages of a channel (and CatchUpLimits::page_bytes of frames).
constexpr uint32_t kCatchUpPage = 100;

// A failed catch-up read is tried again after 250 ms, 500 ms, ... 4 s (about 8 s in all), then given up.
constexpr uint32_t kCatchUpRetries = 5;
constexpr std::chrono::milliseconds kFirstCatchUpRetry{250};

// The reader may not read the channel (it left meanwhile): there is nothing to deliver and nothing to retry.
bool may_not_read(const sdk::Status& status) {
    return status.code() == sdk::Code::permission_denied || status.code() == sdk::Code::not_found;
}

}  // namespace

EdgeFeeds::EdgeFeeds(PushToAll push_to_all, std::chrono::milliseconds gap_wait, Clock clock, CatchUpLimits limits)
    : push_to_all_(std::move(push_to_all)), gap_wait_(gap_wait), clock_(std::move(clock)), limits_(limits) {}

uint64_t EdgeFeeds::subscribing(sdk::ConnectionId id, const std::string& user_id) {
    std::lock_guard lock(mutex_);
    auto [entry, fresh] = subscribers_.try_emplace(id);
    Subscriber& subscriber = entry->second;
    if (!fresh) leave_all_locked(id, subscriber);
    if (fresh || subscriber.user_id != user_id) {
        if (!fresh) forget_user_locked(id, subscriber.user_id);
        by_user_.emplace(user_id, id);
    }
    subscriber.user_id = user_id;
    subscriber.generation = ++generations_;
    subscriber.attaching = true;
    subscriber.left_while_attaching.clear();
    subscriber.joined_while_attaching.clear();
    return subscriber.generation;
}

sdk::Result<std::vector<HistoryRead>> EdgeFeeds::attach(sdk::ConnectionId id, uint64_t generation,
                                                        const std::string& user_id,
                                                        const std::vector<channel::v1::Position>& memberships,
                                                        const std::map<std::string, uint64_t>& resume) {
    std::lock_guard lock(mutex_);
    auto found = subscribers_.find(id);
    if (found == subscribers_.end() || found->second.generation != generation) {
        return sdk::Status(sdk::Code::cancelled, "the connection closed or subscribed again meanwhile");
    }
    // A re-authentication as another user may have run between reading the user and subscribing(): these
    // memberships are the earlier user's, and none of them may reach the connection.
    if (found->second.user_id != user_id) {
        return sdk::Status(sdk::Code::cancelled, "the connection authenticated as another user meanwhile");
    }
    Subscriber& subscriber = found->second;
    for (const channel::v1::Position& position : memberships) {
        auto point = resume.find(position.channel_id());
        if (point != resume.end() && point->second > position.last_sequence()) {
            return sdk::Status(sdk::Code::out_of_range, "resume names sequence " + std::to_string(point->second) +
                                                            " of channel " + position.channel_id() +
                                                            ", whose last is " +
                                                            std::to_string(position.last_sequence()));
        }
    }
    // A JOINED event that came while Channel was asked: the answer tells from where (it saw the join or not).
    std::vector<channel::v1::Position> attach_to = memberships;
    for (const auto& [channel_id, joined] : subscriber.joined_while_attaching) {
        const bool known = std::any_of(memberships.begin(), memberships.end(),
                                       [&](const auto& position) { return position.channel_id() == channel_id; });
        if (known) continue;
        channel::v1::Position from_join;
        from_join.set_channel_id(channel_id);
        from_join.set_last_sequence(joined - 1);
        attach_to.push_back(std::move(from_join));
    }
    std::vector<HistoryRead> reads;
    for (const channel::v1::Position& position : attach_to) {
        const std::string& channel_id = position.channel_id();
        auto left = subscriber.left_while_attaching.find(channel_id);
        if (left != subscriber.left_while_attaching.end() && left->second > position.last_sequence()) continue;
        auto& slot = feeds_[channel_id];
        const bool fresh = slot == nullptr;
        if (fresh) {
            slot = std::make_unique<ChannelFeed>(channel_id, position.last_sequence() + 1, as_feed_edge(), limits_);
        }
        if (slot->reads(id)) continue;  // its JOINED event attached it meanwhile
        auto point = resume.find(channel_id);
        const uint64_t after = point != resume.end() ? point->second : position.last_sequence();
        // A new feed may have missed what the stream brought before it existed; an old one has released
        // past `after`: either way the history comes first.
        const bool catching_up = fresh || after + 1 < slot->next();
        slot->attach(id, subscriber.user_id, after, catching_up);
        subscriber.channels.insert(channel_id);
        if (catching_up) reads.push_back({channel_id, after, kCatchUpPage, id, subscriber.user_id, generation, 0});
    }
    subscriber.attaching = false;
    subscriber.left_while_attaching.clear();
    subscriber.joined_while_attaching.clear();
    return reads;
}

void EdgeFeeds::closed(sdk::ConnectionId id) {
    std::lock_guard lock(mutex_);
    auto found = subscribers_.find(id);
    if (found == subscribers_.end()) return;
    leave_all_locked(id, found->second);
    forget_user_locked(id, found->second.user_id);
    subscribers_.erase(found);
}

void EdgeFeeds::forget_user_locked(sdk::ConnectionId id, const std::string& user_id) {
    for (auto [it, end] = by_user_.equal_range(user_id); it != end; ++it) {
        if (it->second == id) {
            by_user_.erase(it);
            return;
        }
    }
}

void EdgeFeeds::leave_all_locked(sdk::ConnectionId id, Subscriber& subscriber) {
    for (const std::string& channel_id : subscriber.channels) {
        if (ChannelFeed* followed = feed(channel_id)) followed->detach(id);
        drop_if_unread(channel_id);
    }
    subscriber.channels.clear();
}

std::vector<HistoryRead> EdgeFeeds::deliver(const router::v1::Delivery& delivery) {
    std::lock_guard lock(mutex_);
    if (delivery.has_message()) {
        deliver_message(delivery.message());
        return std::exchange(due_, {});
    }
    if (!delivery.has_typing()) return {};
    const router::v1::TypingNotice& notice = delivery.typing();
    if (ChannelFeed* followed = feed(notice.channel_id())) {
        followed->typing(
            notice.user_id(),
            json{{"type", "typing"}, {"channel_id", notice.channel_id()}, {"user_id", notice.user_id()}}.dump(
                -1, ' ', false, json::error_handler_t::replace));
    }
    return {};
}

void EdgeFeeds::deliver_message(const channel::v1::Message& message) {
    const std::string& channel_id = message.channel_id();
    if (message.event() == channel::v1::Message::LEFT || message.event() == channel::v1::Message::JOINED) {
        for (auto [it, end] = by_user_.equal_range(message.author_id()); it != end; ++it) {
            Subscriber& subscriber = subscribers_.at(it->second);
            if (!subscriber.attaching) continue;
            if (message.event() == channel::v1::Message::LEFT) {
                uint64_t& left = subscriber.left_while_attaching[channel_id];
                left = std::max(left, message.sequence());
            } else {
                subscriber.joined_while_attaching.try_emplace(channel_id, message.sequence());
            }
        }
    }
    ChannelFeed* followed = feed(channel_id);
    if (followed == nullptr) {
        // A channel without readers here: only a local user's joining starts a feed, from that event.
        if (message.event() != channel::v1::Message::JOINED || by_user_.count(message.author_id()) == 0) return;
        followed = (feeds_[channel_id] =
                        std::make_unique<ChannelFeed>(channel_id, message.sequence(), as_feed_edge(), limits_, true))
                       .get();
    }
    followed->offer(message, clock_());
    drop_if_unread(channel_id);
}

EdgeWork EdgeFeeds::read(const HistoryRead& read, const sdk::Result<channel::v1::HistoryReply>& page) {
    std::lock_guard lock(mutex_);
    EdgeWork work;
    ChannelFeed* followed = feed(read.channel_id);
    if (followed == nullptr) return work;
    if (page.ok()) followed->reaches(page->last_sequence());
    if (read.reader == 0) {
        followed->filled(page.ok() ? &page->messages() : nullptr, clock_());
        drop_if_unread(read.channel_id);
        work.reads = std::exchange(due_, {});
        return work;
    }
    auto subscriber = subscribers_.find(read.reader);
    if (subscriber == subscribers_.end() || subscriber->second.generation != read.generation ||
        !followed->reads(read.reader)) {
        return work;
    }
    if (!page.ok()) {
        failed(read, *followed, page.status(), work);
        return work;
    }
    followed->catch_up(read.reader, page->messages(), page->more(), clock_());
    work.reads = std::exchange(due_, {});
    drop_if_unread(read.channel_id);
    return work;
}

void EdgeFeeds::failed(const HistoryRead& read, ChannelFeed& followed, const sdk::Status& why, EdgeWork& work) {
    if (!may_not_read(why) && read.failures < kCatchUpRetries) {
        HistoryRead again = read;
        ++again.failures;
        retry_at_.emplace(clock_() + kFirstCatchUpRetry * (1u << read.failures), std::move(again));
        return;
    }
    followed.detach(read.reader);
    subscribers_.at(read.reader).channels.erase(read.channel_id);
    if (!may_not_read(why)) work.interrupted.emplace_back(read.reader, why);
    drop_if_unread(read.channel_id);  // last: it may destroy `followed`
}

std::vector<HistoryRead> EdgeFeeds::retries() {
    std::lock_guard lock(mutex_);
    std::vector<HistoryRead> reads;
    const auto due_end = retry_at_.upper_bound(clock_());
    for (auto it = retry_at_.begin(); it != due_end; ++it) {
        if (wants_locked(it->second)) reads.push_back(std::move(it->second));
    }
    retry_at_.erase(retry_at_.begin(), due_end);
    return reads;
}

bool EdgeFeeds::wants(const HistoryRead& read) const {
    std::lock_guard lock(mutex_);
    return wants_locked(read);
}

bool EdgeFeeds::wants_locked(const HistoryRead& read) const {
    auto followed = feeds_.find(read.channel_id);
    if (followed == feeds_.end()) return false;
    if (read.reader == 0) return true;
    auto subscriber = subscribers_.find(read.reader);
    return subscriber != subscribers_.end() && subscriber->second.generation == read.generation &&
           followed->second->reads(read.reader);
}

std::vector<HistoryRead> EdgeFeeds::gaps() {
    std::lock_guard lock(mutex_);
    std::vector<HistoryRead> reads;
    const SteadyTime now = clock_();
    for (auto& [channel_id, followed] : feeds_) {
        if (auto gap = followed->gap(now, gap_wait_))
            reads.push_back({channel_id, gap->after, gap->limit, 0, {}, 0, 0});
    }
    return reads;
}

std::vector<std::string> EdgeFeeds::followed() const {
    std::lock_guard lock(mutex_);
    std::vector<std::string> channels;
    for (const auto& [channel_id, followed] : feeds_) channels.push_back(channel_id);
    return channels;
}

void EdgeFeeds::reaches(const std::vector<channel::v1::Position>& positions) {
    std::lock_guard lock(mutex_);
    for (const channel::v1::Position& position : positions) {
        if (ChannelFeed* followed = feed(position.channel_id())) followed->reaches(position.last_sequence());
    }
}

size_t EdgeFeeds::feeds() const {
    std::lock_guard lock(mutex_);
    return feeds_.size();
}

size_t EdgeFeeds::held() const {
    std::lock_guard lock(mutex_);
    size_t held = 0;
    for (const auto& [channel_id, followed] : feeds_) held += followed->held();
    return held;
}

void EdgeFeeds::push_to_all(const std::vector<sdk::ConnectionId>& ids, const std::string& frame) {
    push_to_all_(ids, frame);
}

// Those still attaching are left to attach(): Channel's answer says whether it saw the join. The event may
// come from a history read rather than the stream, so it is remembered here too.
std::vector<sdk::ConnectionId> EdgeFeeds::joined(const channel::v1::Message& joined) {
    std::vector<sdk::ConnectionId> ids;
    for (auto [it, end] = by_user_.equal_range(joined.author_id()); it != end; ++it) {
        Subscriber& subscriber = subscribers_.at(it->second);
        if (subscriber.attaching) {
            subscriber.joined_while_attaching.try_emplace(joined.channel_id(), joined.sequence());
        } else {
            ids.push_back(it->second);
        }
    }
    return ids;
}

void EdgeFeeds::catch_up_from(sdk::ConnectionId id, const std::string& channel_id, uint64_t after) {
    auto subscriber = subscribers_.find(id);
    if (subscriber == subscribers_.end()) return;
    due_.push_back({channel_id, after, kCatchUpPage, id, subscriber->second.user_id, subscriber->second.generation, 0});
}

void EdgeFeeds::following(sdk::ConnectionId id, const std::string& channel_id, bool follows) {
    auto subscriber = subscribers_.find(id);
    if (subscriber == subscribers_.end()) return;
    if (follows) {
        subscriber->second.channels.insert(channel_id);
    } else {
        subscriber->second.channels.erase(channel_id);
    }
}

ChannelFeed* EdgeFeeds::feed(const std::string& channel_id) {
    auto found = feeds_.find(channel_id);
    return found == feeds_.end() ? nullptr : found->second.get();
}

void EdgeFeeds::drop_if_unread(const std::string& channel_id) {
    auto found = feeds_.find(channel_id);
    if (found != feeds_.end() && !found->second->has_readers()) feeds_.erase(found);
}

}  // namespace lanchat::gateway

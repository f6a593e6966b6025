#include "channel_feed.hpp"

#include <algorithm>
#include <utility>

#include "frames.hpp"

namespace lanchat::gateway {
namespace {

constexpr uint32_t kGapPage = 500;

}  // namespace

ChannelFeed::ChannelFeed(std::string channel_id, uint64_t next, FeedEdge& edge, const CatchUpLimits& limits, bool probe)
    : channel_id_(std::move(channel_id)), edge_(edge), limits_(limits), first_(next), next_(next), probe_(probe) {}

ChannelFeed::Own ChannelFeed::own(const channel::v1::Message& message, const std::string& user_id) {
    if (message.author_id() != user_id) return Own::other;
    if (message.event() == channel::v1::Message::JOINED) return Own::joined;
    if (message.event() == channel::v1::Message::LEFT) return Own::left;
    return Own::other;
}

bool ChannelFeed::Reader::would_take(uint64_t sequence, Own own) const {
    return sequence > last && (member || own == Own::joined);
}

bool ChannelFeed::Reader::takes(uint64_t sequence, Own own) {
    if (sequence <= last) return false;
    last = sequence;
    if (own == Own::joined) member = true;
    const bool written = member;
    if (own == Own::left) member = false;  // its LEFT event is the last it gets
    return written;
}

void ChannelFeed::attach(sdk::ConnectionId id, const std::string& user_id, uint64_t after, bool catching_up) {
    Reader& reader = readers_[id];
    reader.user_id = user_id;
    reader.last = after;
    reader.member = true;
    reader.catching_up = catching_up;
    reader.held.clear();
    reader.held_bytes = 0;
    reader.dropped_to = 0;
    reader.asked_since_drop = false;
}

void ChannelFeed::detach(sdk::ConnectionId id) { readers_.erase(id); }

size_t ChannelFeed::held() const {
    size_t held = 0;
    for (const auto& [id, reader] : readers_) held += reader.held.size();
    return held;
}

void ChannelFeed::catch_up(sdk::ConnectionId id, const Messages& page, bool more, SteadyTime now) {
    size_t written = 0;
    for (const channel::v1::Message& message : page) {
        auto found = readers_.find(id);
        if (found == readers_.end()) return;  // the connection closed or subscribed again meanwhile
        Reader& reader = found->second;
        const Own event = own(message, reader.user_id);
        if (reader.would_take(message.sequence(), event)) {
            std::string frame = message_frame(message);
            if (written > 0 && written + frame.size() > limits_.page_bytes) {
                return read_on(id, reader);  // this one and the rest of the page come next
            }
            written += frame.size();
            edge_.push_to_all({id}, frame);
        }
        reader.takes(message.sequence(), event);
        offer(message, now);
    }
    auto found = readers_.find(id);
    if (found == readers_.end()) return;
    Reader& reader = found->second;
    if (more && !page.empty()) return read_on(id, reader);
    // Held messages were dropped past where it stands. A read asked for after the drop has them (they were
    // committed before they were released), unless the reader may not read them: an empty one ends it.
    if (reader.last < reader.dropped_to && (!page.empty() || !reader.asked_since_drop)) return read_on(id, reader);
    caught_up(id, reader);
}

void ChannelFeed::read_on(sdk::ConnectionId id, Reader& reader) {
    reader.asked_since_drop = true;
    edge_.catch_up_from(id, channel_id_, reader.last);
}

// The catch-up's last page has been handed on: what was held for `reader` meanwhile follows it.
void ChannelFeed::caught_up(sdk::ConnectionId id, Reader& reader) {
    std::vector<Held> held = std::move(reader.held);
    reader.held.clear();
    reader.held_bytes = 0;
    reader.catching_up = false;
    for (const Held& message : held) {
        if (reader.takes(message.sequence, message.own)) edge_.push_to_all({id}, *message.frame);
    }
    detach_departed();
}

void ChannelFeed::offer(const channel::v1::Message& message, SteadyTime now) {
    known_last_ = std::max(known_last_, message.sequence());
    if (message.sequence() < next_) {  // released already, or from before the feed began
        const bool late_join = message.event() == channel::v1::Message::JOINED && message.sequence() < first_;
        if (late_join && late_joins_.insert(message.sequence()).second) attach_joined(message, /*behind=*/true);
        return;
    }
    waiting_.emplace(message.sequence(), message);
    release_in_order(now);
}

void ChannelFeed::release_in_order(SteadyTime now) {
    while (!waiting_.empty() && waiting_.begin()->first == next_) {
        auto node = waiting_.extract(waiting_.begin());
        ++next_;
        release(node.mapped());
    }
    if (waiting_.empty()) {
        gap_since_ = {};
    } else if (gap_since_ == SteadyTime{}) {
        gap_since_ = now;
    }
}

void ChannelFeed::release(const channel::v1::Message& message) {
    if (message.event() == channel::v1::Message::JOINED) attach_joined(message, /*behind=*/false);
    auto frame = std::make_shared<const std::string>(message_frame(message));
    std::vector<sdk::ConnectionId> recipients;
    for (auto& [id, reader] : readers_) {
        if (reader.catching_up) {
            hold(reader, {message.sequence(), frame, own(message, reader.user_id)});
        } else if (reader.takes(message.sequence(), own(message, reader.user_id))) {
            recipients.push_back(id);
        }
    }
    if (!recipients.empty()) edge_.push_to_all(recipients, *frame);
    if (message.event() == channel::v1::Message::LEFT) detach_departed();
}

// Past the limits, what was held goes: all of it is in the history, which the catch-up reads on past it. The
// held messages are dropped together so that what stays held always starts after what was dropped.
void ChannelFeed::hold(Reader& reader, Held message) {
    const size_t bytes = message.frame->size();
    if (reader.held.size() + 1 > limits_.held_messages || reader.held_bytes + bytes > limits_.held_bytes) {
        reader.dropped_to = message.sequence;
        reader.asked_since_drop = false;
        reader.held.clear();
        reader.held_bytes = 0;
        return;
    }
    reader.held_bytes += bytes;
    reader.held.push_back(std::move(message));
}

// From the event on: the connections get the JOINED event itself and everything after it. `behind`: the
// feed released past it already, so they read from the history first.
void ChannelFeed::attach_joined(const channel::v1::Message& joined, bool behind) {
    for (sdk::ConnectionId id : edge_.joined(joined)) {
        if (reads(id)) continue;
        attach(id, joined.author_id(), joined.sequence() - 1, behind);
        edge_.following(id, channel_id_, true);
        if (behind) edge_.catch_up_from(id, channel_id_, joined.sequence() - 1);
    }
}

// Readers past their own LEFT event; one still catching up is kept until it has had everything up to it.
void ChannelFeed::detach_departed() {
    for (auto it = readers_.begin(); it != readers_.end();) {
        if (it->second.member || it->second.catching_up) {
            ++it;
            continue;
        }
        edge_.following(it->first, channel_id_, false);
        it = readers_.erase(it);
    }
}

void ChannelFeed::typing(const std::string& typer, const std::string& frame) {
    std::vector<sdk::ConnectionId> recipients;
    for (const auto& [id, reader] : readers_) {
        if (reader.user_id != typer) recipients.push_back(id);
    }
    if (!recipients.empty()) edge_.push_to_all(recipients, frame);
}

void ChannelFeed::reaches(uint64_t last_sequence) { known_last_ = std::max(known_last_, last_sequence); }

std::optional<HistoryGap> ChannelFeed::gap(SteadyTime now, std::chrono::milliseconds gap_wait) {
    if (reading_gap_) return std::nullopt;
    if (probe_) {
        probe_ = false;
        probing_ = true;
        reading_gap_ = true;
        return HistoryGap{next_ - 1, kGapPage};
    }
    uint64_t missing_to;  // the last sequence to read
    if (!waiting_.empty()) {
        if (now - gap_since_ < gap_wait) return std::nullopt;
        missing_to = waiting_.begin()->first - 1;
    } else if (known_last_ >= next_) {
        missing_to = known_last_;
    } else {
        return std::nullopt;
    }
    reading_gap_ = true;
    return HistoryGap{next_ - 1, static_cast<uint32_t>(std::min<uint64_t>(missing_to - next_ + 1, kGapPage))};
}

void ChannelFeed::filled(const Messages* page, SteadyTime now) {
    reading_gap_ = false;
    const bool was_probe = std::exchange(probing_, false);
    if (page == nullptr) {
        if (was_probe) probe_ = true;  // the next sweep asks again: nothing else would show what it missed
        return;
    }
    for (const channel::v1::Message& message : *page) offer(message, now);
}

}  // namespace lanchat::gateway

// ChannelFeed: one channel as this edge follows it. The store's sequence is the only order: messages are
// released strictly in sequence, each encoded once and written to every local connection reading the
// channel. One that arrives ahead of a missing one waits; after `gap_wait` the feed asks for the missing
// ones from the history. Membership events are applied where they stand in the log: a JOINED event
// attaches the subscribed connections of that user (they get the event itself), a LEFT event is delivered
// to the leaving user and then detaches them. A connection that attaches behind what the feed has
// released catches up from the history first, while live messages wait for it: nothing missed, nothing
// twice. What waits for one reader is bounded (CatchUpLimits): past the bound the waiting messages are
// dropped and the catch-up reads on past them in the history, where they are. A reader applies its user's own events in
// log order too, even inside a catch-up: past its LEFT it gets nothing until its user's next JOINED, and it is detached
// once it has caught up and is still out. Not thread-safe: the edge (EdgeFeeds) holds its lock around every call.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "lanchat/channel/v1/channel.pb.h"
#include "lanchat/sdk/client_edge.hpp"

namespace lanchat::gateway {

using Messages = google::protobuf::RepeatedPtrField<channel::v1::Message>;
using SteadyTime = std::chrono::steady_clock::time_point;

// What a feed needs of the edge it belongs to.
class FeedEdge {
public:
    virtual ~FeedEdge() = default;
    // Writes the same frame to every connection in `ids`.
    virtual void push_to_all(const std::vector<sdk::ConnectionId>& ids, const std::string& frame) = 0;
    // A JOINED event of a user, applied by the feed: the connections of that user subscribed at this edge
    // that it attaches now (one still subscribing remembers the event for its attach instead).
    virtual std::vector<sdk::ConnectionId> joined(const channel::v1::Message& joined) = 0;
    // A membership event attached `id` to the feed of `channel_id`, or detached it.
    virtual void following(sdk::ConnectionId id, const std::string& channel_id, bool follows) = 0;
    // `id` attached behind the feed and reads the history of `channel_id` after `after` first.
    virtual void catch_up_from(sdk::ConnectionId id, const std::string& channel_id, uint64_t after) = 0;
};

// What one reader catching up may cost the edge.
struct CatchUpLimits {
    // Live messages held for it meanwhile; past either bound they are dropped, and read from the history.
    size_t held_messages = 1000;
    size_t held_bytes = 1024 * 1024;
    // The frames of one catch-up page handed to its connection at once (at least one message): keep it below
    // the connection's send queue, so one page never closes it. The rest of the page is read again next.
    size_t page_bytes = 256 * 1024;
};

// A history read a feed asks for: the messages after `after`, at most `limit`.
struct HistoryGap {
    uint64_t after = 0;
    uint32_t limit = 0;
};

class ChannelFeed {
public:
    // Releases from sequence `next` on (everything before it is the past). `probe`: the feed starts at an
    // entry that came on the stream (a JOINED event), and what the stream brought just before it existed
    // is read from the history at the first gap(). `limits` outlive the feed.
    ChannelFeed(std::string channel_id, uint64_t next, FeedEdge& edge, const CatchUpLimits& limits, bool probe = false);

    const std::string& channel_id() const { return channel_id_; }
    // The next sequence to release: every one before it has been released.
    uint64_t next() const { return next_; }
    bool has_readers() const { return !readers_.empty(); }
    bool reads(sdk::ConnectionId id) const { return readers_.count(id) != 0; }
    // The live messages held for readers catching up, over all of them.
    size_t held() const;

    // `id` (of `user_id`) reads from sequence `after` + 1 on. `catching_up`: it reads the history up to the
    // live messages first (catch_up()), and those wait for it meanwhile.
    void attach(sdk::ConnectionId id, const std::string& user_id, uint64_t after, bool catching_up);
    void detach(sdk::ConnectionId id);
    // One page of `id`'s catch-up read, oldest first (`more`: the log goes on past it). The messages go to
    // `id` and also to the feed (so its other readers get any the feed had not released yet), up to
    // `page_bytes` of frames. The next page is asked for through FeedEdge::catch_up_from() while the page
    // was cut short, the log goes on, or held messages were dropped past where `id` stands; after the last
    // page what waited goes out.
    void catch_up(sdk::ConnectionId id, const Messages& page, bool more, SteadyTime now);

    // A message of this channel, live or from the history, in any order and any number of times. A JOINED
    // event from before the feed began (it came late) still attaches its user's connections, from itself.
    void offer(const channel::v1::Message& message, SteadyTime now);
    // A typing notice: to every reader but the typer's connections.
    void typing(const std::string& typer, const std::string& frame);

    // The log reaches `last_sequence` (the edge asked, after its stream was down): what lies past what was
    // released is read from the history without waiting.
    void reaches(uint64_t last_sequence);
    // The read that would close the feed's gap now, if there is one: one ahead of a missing message that
    // waited `gap_wait`, or a known end of the log past what was released. Marks it in flight.
    std::optional<HistoryGap> gap(SteadyTime now, std::chrono::milliseconds gap_wait);
    // The answer to gap()'s read (nullptr: it failed, and is tried again later).
    void filled(const Messages* page, SteadyTime now);

private:
    using Frame = std::shared_ptr<const std::string>;
    // A message as one reader sees it: its user's own joining or leaving changes what it reads.
    enum class Own { other, joined, left };
    struct Held {
        uint64_t sequence = 0;
        Frame frame;
        Own own = Own::other;
    };
    struct Reader {
        std::string user_id;
        uint64_t last = 0;   // the last sequence it has seen (written to it, or passed while out)
        bool member = true;  // false past its own LEFT, until its own JOINED
        bool catching_up = false;
        std::vector<Held> held;  // released while it caught up
        size_t held_bytes = 0;
        uint64_t dropped_to = 0;        // the last of the held messages dropped: the catch-up reads past it
        bool asked_since_drop = false;  // a catch-up read was asked for after the last drop

        // Whether the message at `sequence` would be written to it, and takes() it: written, or passed.
        bool would_take(uint64_t sequence, Own own) const;
        bool takes(uint64_t sequence, Own own);
    };

    static Own own(const channel::v1::Message& message, const std::string& user_id);
    void release_in_order(SteadyTime now);
    void release(const channel::v1::Message& message);
    void hold(Reader& reader, Held message);
    void caught_up(sdk::ConnectionId id, Reader& reader);
    // Asks for the catch-up's next page, from where `reader` stands.
    void read_on(sdk::ConnectionId id, Reader& reader);
    void attach_joined(const channel::v1::Message& joined, bool behind);
    void detach_departed();

    const std::string channel_id_;
    FeedEdge& edge_;
    const CatchUpLimits& limits_;
    const uint64_t first_;           // where the feed began: a JOINED event before it was never applied here
    std::set<uint64_t> late_joins_;  // JOINED events before `first_` applied since (they may come again)
    uint64_t next_;
    uint64_t known_last_ = 0;  // the end of the log, as last learned
    std::map<uint64_t, channel::v1::Message> waiting_;
    SteadyTime gap_since_{};
    bool reading_gap_ = false;
    bool probe_;
    bool probing_ = false;  // the read in flight is the probe: a failed one is asked again
    std::map<sdk::ConnectionId, Reader> readers_;
};

}  // namespace lanchat::gateway

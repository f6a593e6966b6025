// EdgeFeeds: everything this edge (gateway instance) delivers. The Router's one stream brings every
// message and typing notice; EdgeFeeds keeps a ChannelFeed for each channel that has local readers, and the
// subscribed connections of each user, so a membership event of a local user on any channel attaches or
// detaches them (no state for channels without local members). History reads the feeds need are returned
// as HistoryRead values for the caller to make through the mesh; their answers come back to read().
// Thread-safe: one lock around every call, held while frames are handed to the host (which only queues
// them), so each channel's frames leave in order.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "channel_feed.hpp"
#include "lanchat/router/v1/router.pb.h"
#include "lanchat/sdk/status.hpp"

namespace lanchat::gateway {

// A history read the edge needs: a connection's catch-up (read as its user) or a feed's gap (`reader` 0,
// read as the edge).
struct HistoryRead {
    std::string channel_id;
    uint64_t after = 0;
    uint32_t limit = 0;
    sdk::ConnectionId reader = 0;
    std::string user_id;
    uint64_t generation = 0;  // the reader's subscription it is for
    uint32_t failures = 0;    // how many times this catch-up read failed before
};

// What an answer to a HistoryRead leads to: more reads, and connections whose deliveries stopped on one
// channel because its catch-up kept failing (they should subscribe again with their positions).
struct EdgeWork {
    std::vector<HistoryRead> reads;
    std::vector<std::pair<sdk::ConnectionId, sdk::Status>> interrupted;
};

class EdgeFeeds final : private FeedEdge {
public:
    using PushToAll = std::function<void(const std::vector<sdk::ConnectionId>& ids, const std::string& frame)>;
    using Clock = std::function<SteadyTime()>;

    EdgeFeeds(PushToAll push_to_all, std::chrono::milliseconds gap_wait, Clock clock = std::chrono::steady_clock::now,
              CatchUpLimits limits = {});

    // A subscribe of `id` as `user_id` begins: it leaves every feed it read (a new subscribe replaces the
    // old), and from now on the user's JOINED events attach it. Returns the subscription's generation.
    uint64_t subscribing(sdk::ConnectionId id, const std::string& user_id);
    // Attaches `id` to each of its user's channels (`memberships`, as Channel.Memberships answered after
    // subscribing()), from `resume[channel]` when given, else from the channel's last sequence. Channels in
    // `resume` the user is not a member of are ignored; a resume point past a channel's end is OUT_OF_RANGE.
    // Returns the catch-up reads to make. CANCELLED if the connection closed or subscribed again meanwhile,
    // or if it is no longer `user_id`'s (`user_id`: who the connection is now, asked at the attach).
    sdk::Result<std::vector<HistoryRead>> attach(sdk::ConnectionId id, uint64_t generation, const std::string& user_id,
                                                 const std::vector<channel::v1::Position>& memberships,
                                                 const std::map<std::string, uint64_t>& resume);
    // `id` closed (or its user changed): it leaves every feed.
    void closed(sdk::ConnectionId id);

    // One item of the Router's stream. Returns the catch-up reads it leads to (a JOINED event that came
    // after the feed had moved past it).
    std::vector<HistoryRead> deliver(const router::v1::Delivery& delivery);
    // The answer to `read` (its reads include catch-ups a late JOINED event in a filled gap led to). A
    // catch-up the reader may not make (PERMISSION_DENIED, NOT_FOUND: it left meanwhile) ends quietly;
    // any other failure is tried again by retries() after a growing pause (kCatchUpRetries times), the live
    // messages waiting meanwhile, and then the reader is detached and named in `interrupted`.
    EdgeWork read(const HistoryRead& read, const sdk::Result<channel::v1::HistoryReply>& page);
    // Whether `read` is still worth making: its feed is still followed here and, for a catch-up, its reader
    // still reads the channel in the same subscription.
    bool wants(const HistoryRead& read) const;
    // The gap reads due now (called periodically).
    std::vector<HistoryRead> gaps();
    // The failed catch-up reads whose pause is over and that are still wanted (called periodically).
    std::vector<HistoryRead> retries();
    // The channels followed here, and where their logs end (after the Router's stream was down): what was
    // appended meanwhile is read by the next gaps().
    std::vector<std::string> followed() const;
    void reaches(const std::vector<channel::v1::Position>& positions);

    size_t feeds() const;
    // The live messages held for readers catching up, over every feed.
    size_t held() const;

private:
    struct Subscriber {
        std::string user_id;
        uint64_t generation = 0;
        bool attaching = false;
        std::map<std::string, uint64_t> left_while_attaching;    // channel -> its LEFT event's sequence
        std::map<std::string, uint64_t> joined_while_attaching;  // channel -> its first JOINED event's sequence
        std::set<std::string> channels;
    };

    // FeedEdge
    void push_to_all(const std::vector<sdk::ConnectionId>& ids, const std::string& frame) override;
    std::vector<sdk::ConnectionId> joined(const channel::v1::Message& joined) override;
    void following(sdk::ConnectionId id, const std::string& channel_id, bool follows) override;
    void catch_up_from(sdk::ConnectionId id, const std::string& channel_id, uint64_t after) override;

    FeedEdge& as_feed_edge() { return *this; }
    void deliver_message(const channel::v1::Message& message);
    void leave_all_locked(sdk::ConnectionId id, Subscriber& subscriber);
    void forget_user_locked(sdk::ConnectionId id, const std::string& user_id);
    void drop_if_unread(const std::string& channel_id);
    ChannelFeed* feed(const std::string& channel_id);
    bool wants_locked(const HistoryRead& read) const;
    // A catch-up read failed with `why`: tried again later, or given up (the reader detached, in `work`).
    void failed(const HistoryRead& read, ChannelFeed& followed, const sdk::Status& why, EdgeWork& work);

    PushToAll push_to_all_;
    std::chrono::milliseconds gap_wait_;
    Clock clock_;
    const CatchUpLimits limits_;  // every feed's: declared before feeds_, which refer to it
    mutable std::mutex mutex_;
    uint64_t generations_ = 0;
    std::unordered_map<std::string, std::unique_ptr<ChannelFeed>> feeds_;
    std::unordered_map<sdk::ConnectionId, Subscriber> subscribers_;
    std::unordered_multimap<std::string, sdk::ConnectionId> by_user_;
    std::vector<HistoryRead> due_;                     // catch-up reads the feeds asked for during the current call
    std::multimap<SteadyTime, HistoryRead> retry_at_;  // failed catch-up reads, by when to try again
};

}  // namespace lanchat::gateway

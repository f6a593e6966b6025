// RouterService: Send, Edit, Delete, Typing and Subscribe. Channel gives each message its sequence and
// stores it; the Router then delivers it to the members subscribed here, in each channel's order. A
// subscriber that resumes gets the messages it missed from Channel's history first, then the live ones,
// with none twice.
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

#include "lanchat/channel/v1/channel.pb.h"
#include "lanchat/router/v1/router.pb.h"
#include "lanchat/sdk/status.hpp"
#include "message_sink.hpp"

namespace lanchat::router {

template <class T>
using Done = std::function<void(sdk::Result<T>)>;

// What the Router asks of Channel; the plugin answers it over the mesh.
class ChannelLog {
public:
    virtual ~ChannelLog() = default;
    virtual void append(const channel::v1::AppendRequest& request, Done<channel::v1::AppendReply> done) = 0;
    virtual void amend(const channel::v1::AmendRequest& request, Done<channel::v1::AppendReply> done) = 0;
    virtual void audience(const channel::v1::AudienceRequest& request, Done<channel::v1::AudienceReply> done) = 0;
    virtual void history(const channel::v1::HistoryRequest& request, Done<channel::v1::HistoryReply> done) = 0;
};

// One subscriber's stream.
using DeliverySink = plugin_support::MessageSink<v1::Delivery>;

struct RouterLimits {
    size_t max_body_bytes = 4000;
    std::chrono::milliseconds gap_wait{300};  // how long an out-of-order message waits for the one before it
};

class RouterService {
public:
    RouterService(ChannelLog& channels, RouterLimits limits);

    void send(const v1::SendRequest& request, Done<v1::SendReply> done);
    void edit(const v1::EditRequest& request, Done<v1::SendReply> done);
    void remove(const v1::DeleteRequest& request, Done<v1::SendReply> done);
    void typing(const v1::TypingRequest& request, Done<v1::TypingReply> done);

    // Returns the subscription's id, or the reason it was refused.
    sdk::Result<uint64_t> subscribe(const v1::SubscribeRequest& request, std::shared_ptr<DeliverySink> sink);
    void unsubscribe(uint64_t id);
    // Fetches from the history what a channel's waiting messages have waited on for longer than gap_wait
    // (its Send failed after Channel stored it, say). Called periodically.
    void check_gaps();
    // Ends every subscription with `status` (drain).
    void end_all(const sdk::Status& status);
    size_t subscriptions() const;

private:
    struct Subscription {
        uint64_t id = 0;
        std::string user_id;
        std::shared_ptr<DeliverySink> sink;
        std::map<std::string, uint64_t> last;                           // channel -> last sequence delivered
        std::map<std::string, std::vector<channel::v1::Message>> held;  // channels catching up: live ones wait
    };
    // Per channel: the next sequence to deliver and what arrived ahead of it.
    struct Sequencer {
        uint64_t next = 0;  // 0: nothing seen yet since the Router started
        std::map<uint64_t, std::pair<channel::v1::Message, std::vector<std::string>>> waiting;
        std::chrono::steady_clock::time_point gap_since{};
        bool fetching = false;
    };

    void acknowledged(const sdk::Result<channel::v1::AppendReply>& appended, Done<v1::SendReply> done);
    // What Channel's answer to an append or amend does: acknowledged(), with `done` kept for it.
    Done<channel::v1::AppendReply> acknowledging(Done<v1::SendReply> done);
    sdk::Status check_body(const std::string& body) const;
    void fan_out(const channel::v1::Message& message, const std::vector<std::string>& members);
    void release_in_order(Sequencer& sequencer);
    void fetch_gap(const std::string& channel_id, uint64_t from, uint64_t to, std::vector<std::string> members);
    void deliver_locked(const channel::v1::Message& message, const std::vector<std::string>& members);
    bool deliver_to_locked(Subscription& subscription, const channel::v1::Message& message);
    void catch_up(uint64_t id, std::string user_id, std::string channel_id, uint64_t after);
    void drop_locked(uint64_t id, const sdk::Status& status);

    ChannelLog& channels_;
    RouterLimits limits_;
    mutable std::recursive_mutex mutex_;
    uint64_t next_id_ = 1;
    std::unordered_map<uint64_t, Subscription> subscriptions_;
    std::unordered_multimap<std::string, uint64_t> by_user_;
    std::unordered_map<std::string, Sequencer> sequencers_;
};

}  // namespace lanchat::router

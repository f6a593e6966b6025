// RouterService: Send, Edit, Delete, Typing and the client edges' delivery streams. Channel gives each
// message its sequence and stores it; the Router then writes it to every edge stream and answers. It keeps
// no state about channels or users (no sequencer, no subscribers per user): each edge orders by the
// store's sequence and fills gaps from the history, so a second Router needs nothing from this one.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "lanchat/channel/v1/channel.pb.h"
#include "lanchat/plugin_abi.h"
#include "lanchat/router/v1/router.pb.h"
#include "lanchat/sdk/status.hpp"
#include "message_sink.hpp"

namespace lanchat::router {

template <class T>
using Done = std::function<void(sdk::Result<T>)>;

// The inbound call a request is served for (null in tests): the calls made for it to Channel carry its trace,
// correlation id and deadline.
using CallParent = lanchat_rpc_call*;

// What the Router asks of Channel; the plugin answers it over the mesh.
class ChannelLog {
public:
    virtual ~ChannelLog() = default;
    virtual void append(const channel::v1::AppendRequest& request, CallParent parent,
                        Done<channel::v1::AppendReply> done) = 0;
    virtual void amend(const channel::v1::AmendRequest& request, CallParent parent,
                       Done<channel::v1::AppendReply> done) = 0;
    virtual void audience(const channel::v1::AudienceRequest& request, CallParent parent,
                          Done<channel::v1::AudienceReply> done) = 0;
    virtual void history(const channel::v1::HistoryRequest& request, CallParent parent,
                         Done<channel::v1::HistoryReply> done) = 0;
};

// One client edge's stream.
using DeliverySink = plugin_support::MessageSink<v1::Delivery>;

struct RouterLimits {
    size_t max_body_bytes = 4000;
};

class RouterService {
public:
    RouterService(ChannelLog& channels, RouterLimits limits);

    // Each answers only after the change is durable and written to every edge stream.
    void send(const v1::SendRequest& request, CallParent parent, Done<v1::SendReply> done);
    void edit(const v1::EditRequest& request, CallParent parent, Done<v1::SendReply> done);
    void remove(const v1::DeleteRequest& request, CallParent parent, Done<v1::SendReply> done);
    void typing(const v1::TypingRequest& request, CallParent parent, Done<v1::TypingReply> done);
    // Reads the announced entries from the history and writes them to every edge stream.
    void announce(const v1::AnnounceRequest& request, CallParent parent, Done<v1::AnnounceReply> done);

    // Registers an edge's stream; returns its id, or why it was refused.
    sdk::Result<uint64_t> subscribe_edge(const v1::SubscribeEdgeRequest& request, std::shared_ptr<DeliverySink> sink);
    void unsubscribe(uint64_t id);
    // Ends every edge stream with `status` (drain).
    void end_all(const sdk::Status& status);
    size_t edges() const;

private:
    struct Edge {
        std::string edge_id;
        std::shared_ptr<DeliverySink> sink;
    };

    // What Channel's answer to an append or amend does: the message to every edge, then the answer.
    Done<channel::v1::AppendReply> delivering(Done<v1::SendReply> done);
    sdk::Status check_body(const std::string& body) const;
    // Writes `delivery` to every edge stream; a stream that cannot take it is ended (its edge catches up
    // from the history when it comes back).
    void broadcast(const v1::Delivery& delivery);

    ChannelLog& channels_;
    RouterLimits limits_;
    mutable std::mutex mutex_;
    uint64_t next_id_ = 1;
    std::map<uint64_t, Edge> edges_;
};

}  // namespace lanchat::router

// MessageSink: a service's side of one open server stream (a presence Watch, a Router SubscribeEdge), so the
// service's logic holds its subscribers without knowing the host's streams (and its tests can record).
#pragma once

#include "lanchat/sdk/status.hpp"

namespace lanchat::plugin_support {

// `deliver` returns false when the stream is gone or too slow; the service then drops the subscriber and
// calls `end` with the reason.
template <class Message>
class MessageSink {
public:
    virtual ~MessageSink() = default;
    virtual bool deliver(const Message& message) = 0;
    virtual void end(const sdk::Status& status) = 0;
};

}  // namespace lanchat::plugin_support

// StreamCalls and WriterSink: how a plugin's streaming subscriptions meet the host's streams.
// StreamCalls: which subscription each open server-streaming call is, so that when the host says a call
// was cancelled (the client left) the plugin drops the right subscription — including a cancel that
// races the subscription being made.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "lanchat/plugin_abi.h"
#include "lanchat/sdk/rpc.hpp"
#include "lanchat/sdk/status.hpp"
#include "message_sink.hpp"

namespace lanchat::plugin_support {

class StreamCalls {
public:
    using Subscribe = std::function<sdk::Result<uint64_t>()>;
    using Unsubscribe = std::function<void(uint64_t id)>;

    // Runs `subscribe` for `call` and remembers the id. Returns the status to finish the call with when
    // there is no subscription (refused, or cancelled meanwhile: then `unsubscribe` already ran).
    // Not under this object's lock: the service may end streams (forget()) from inside subscribe.
    std::optional<sdk::Status> open(lanchat_rpc_call* call, const Subscribe& subscribe,
                                    const Unsubscribe& unsubscribe) {
        {
            std::lock_guard lock(mutex_);
            auto [entry, fresh] =
                ids_.try_emplace(call, kOpening);         // marked first: a cancel during subscribe() is seen
            if (!fresh && entry->second == kCancelled) {  // the cancel came before the handler ran
                ids_.erase(entry);
                return sdk::Status(sdk::Code::cancelled, "the client left");
            }
            entry->second = kOpening;
        }
        sdk::Result<uint64_t> id = subscribe();
        std::unique_lock lock(mutex_);
        auto marked = ids_.find(call);
        const bool cancelled_meanwhile = marked == ids_.end();
        if (id.ok() && !cancelled_meanwhile) {
            marked->second = *id;
            return std::nullopt;
        }
        if (!cancelled_meanwhile) ids_.erase(marked);
        lock.unlock();
        if (!id.ok()) return id.status();
        unsubscribe(*id);
        return sdk::Status(sdk::Code::cancelled, "the client left");
    }

    // The host said `call` was cancelled: drops its subscription, if it has one yet; before open() it
    // leaves a mark that open() finds.
    void cancelled(lanchat_rpc_call* call, const Unsubscribe& unsubscribe) {
        uint64_t id = kOpening;
        {
            std::lock_guard lock(mutex_);
            auto found = ids_.find(call);
            if (found == ids_.end()) {
                ids_.emplace(call, kCancelled);
                return;
            }
            id = found->second;
            ids_.erase(found);
        }
        if (id != kOpening && id != kCancelled) unsubscribe(id);
    }

    // The plugin ends `call` itself (call before finishing it: the host may reuse the pointer afterwards).
    void forget(lanchat_rpc_call* call) {
        std::lock_guard lock(mutex_);
        ids_.erase(call);
    }

private:
    static constexpr uint64_t kOpening = 0;             // subscribe() is running
    static constexpr uint64_t kCancelled = UINT64_MAX;  // cancelled before open(); consumed by it
    std::mutex mutex_;
    std::unordered_map<lanchat_rpc_call*, uint64_t> ids_;
};

// A service's subscriber over one open stream; `ended` runs when the service ends it, so the StreamCalls
// entry can be forgotten.
template <class Message>
class WriterSink final : public MessageSink<Message> {
public:
    WriterSink(sdk::StreamWriter<Message> writer, std::function<void()> ended)
        : writer_(std::move(writer)), ended_(std::move(ended)) {}
    bool deliver(const Message& message) override { return writer_.write(message).ok(); }
    void end(const sdk::Status& status) override {
        ended_();
        writer_.finish(status);
    }

private:
    sdk::StreamWriter<Message> writer_;
    std::function<void()> ended_;
};

}  // namespace lanchat::plugin_support

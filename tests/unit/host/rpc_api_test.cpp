// The rpc table's promise that a reply never runs inside the call that asked for it, on a node without a
// mesh (the answer is known at once) and for ReplyAfterReturn itself.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <string>
#include <thread>

#include "abi/reply_after_return.hpp"
#include "abi/sink.hpp"
#include "abi/tables.hpp"
#include "mesh/rpc_owner.hpp"
#include "runtime/executor.hpp"
#include "runtime/host_context.hpp"

namespace lanchat::host::abi {
namespace {

using namespace std::chrono_literals;

// What one reply callback saw.
struct ReplyProbe {
    std::mutex mutex;
    int replies = 0;
    lanchat_status_code code = LANCHAT_OK;
    std::string message;
    std::thread::id thread;
    std::promise<void> arrived;

    static void reply(void* user, lanchat_status_code code, lanchat_str message, lanchat_bytes) {
        auto* probe = static_cast<ReplyProbe*>(user);
        std::lock_guard lock(probe->mutex);
        if (++probe->replies == 1) {
            probe->code = code;
            probe->message.assign(message.data, message.size);
            probe->thread = std::this_thread::get_id();
            probe->arrived.set_value();
        }
    }
    bool wait() { return arrived.get_future().wait_for(5s) == std::future_status::ready; }
    int count() {
        std::lock_guard lock(mutex);
        return replies;
    }
};

class RpcApiTest : public ::testing::Test {
protected:
    RpcApiTest() {
        context_.plugin_name = "caller";
        context_.executor = &executor_;
        context_.rpc_owner = std::make_shared<mesh::RpcOwner>("caller");
    }
    ~RpcApiTest() override { executor_.cancel_all(&context_); }

    lanchat_rpc_call_options options() {
        return {sizeof(lanchat_rpc_call_options), {"audit", 5}, {"/a.A/M", 6}, 0, LANCHAT_FALSE, nullptr, {nullptr, 0}};
    }

    Executor executor_{1};
    lanchat_host_context context_;
    ReplyProbe probe_;
};

TEST_F(RpcApiTest, CallUnaryWithoutAMeshRepliesUnavailableOnAnExecutorThreadAfterReturning) {
    lanchat_rpc_call_options call = options();
    rpc_api_table()->call_unary(&context_, &call, {}, &ReplyProbe::reply, &probe_);
    ASSERT_TRUE(probe_.wait());
    EXPECT_NE(probe_.thread, std::this_thread::get_id());
    EXPECT_EQ(probe_.code, LANCHAT_UNAVAILABLE);
    EXPECT_NE(probe_.message.find("no [mesh]"), std::string::npos) << probe_.message;
    std::this_thread::sleep_for(20ms);
    EXPECT_EQ(probe_.count(), 1);
}

TEST_F(RpcApiTest, CallServerStreamWithoutAMeshReturnsNoIdAndRepliesAfterReturning) {
    lanchat_rpc_call_options call = options();
    auto no_message = [](void*, lanchat_bytes) { FAIL() << "a stream without a mesh has no messages"; };
    lanchat_rpc_stream_id id =
        rpc_api_table()->call_server_stream(&context_, &call, {}, no_message, &ReplyProbe::reply, &probe_);
    EXPECT_EQ(id, 0u);
    ASSERT_TRUE(probe_.wait());
    EXPECT_NE(probe_.thread, std::this_thread::get_id());
    EXPECT_EQ(probe_.code, LANCHAT_UNAVAILABLE);
}

TEST_F(RpcApiTest, ServeWithoutAMeshIsUnavailableAndSaysWhy) {
    StringSink error;
    lanchat_rpc_method method{sizeof(lanchat_rpc_method),
                              {"/a.A/M", 6},
                              LANCHAT_RPC_UNARY,
                              [](void*, lanchat_rpc_call*, const lanchat_rpc_call_info*, lanchat_bytes) {},
                              nullptr,
                              nullptr};
    EXPECT_EQ(rpc_api_table()->serve(&context_, &method, error.get()), LANCHAT_UNAVAILABLE);
    EXPECT_NE(error.text().find("no [mesh]"), std::string::npos) << error.text();
}

TEST_F(RpcApiTest, AnAnswerGivenBeforeTheCallReturnsIsHeldUntilItReturns) {
    {
        ReplyAfterReturn answer(&context_, &ReplyProbe::reply, &probe_);
        answer.reply_fn()(LANCHAT_NOT_FOUND, "no endpoint", {});
        std::this_thread::sleep_for(20ms);
        EXPECT_EQ(probe_.count(), 0);  // still inside the call
    }
    ASSERT_TRUE(probe_.wait());
    EXPECT_EQ(probe_.code, LANCHAT_NOT_FOUND);
    EXPECT_EQ(probe_.message, "no endpoint");
}

TEST_F(RpcApiTest, AnAnswerAfterTheCallReturnedGoesStraightToThePlugin) {
    mesh::ReplyFn reply;
    {
        ReplyAfterReturn answer(&context_, &ReplyProbe::reply, &probe_);
        reply = answer.reply_fn();
    }
    reply(LANCHAT_OK, {}, "response");
    EXPECT_EQ(probe_.count(), 1);
    EXPECT_EQ(probe_.thread, std::this_thread::get_id());
    EXPECT_EQ(probe_.code, LANCHAT_OK);
}

TEST_F(RpcApiTest, AHeldAnswerStillArrivesOnceWhenTheInstanceStopsBeforeItRan) {
    // Keep the only executor thread busy, so the posted answer is still waiting when the instance stops.
    struct Blocker {
        std::promise<void> started;
        std::promise<void> go;
    } blocker;
    const int other_owner = 0;
    executor_.schedule(
        &other_owner, 0, 0,
        [](void* user) {
            auto* blocking = static_cast<Blocker*>(user);
            blocking->started.set_value();
            blocking->go.get_future().wait();
        },
        nullptr, &blocker);
    blocker.started.get_future().wait();
    {
        ReplyAfterReturn answer(&context_, &ReplyProbe::reply, &probe_);
        answer.reply_fn()(LANCHAT_UNAVAILABLE, "no [mesh]", {});
    }
    executor_.cancel_all(&context_);  // what PluginInstance::stop does once the plugin's stop() returned
    EXPECT_EQ(probe_.count(), 1);
    EXPECT_EQ(probe_.thread, std::this_thread::get_id());
    blocker.go.set_value();
    executor_.cancel_all(&other_owner);  // waits for the blocking task to end
    EXPECT_EQ(probe_.count(), 1);
}

// A plugin whose reply handler calls again (the gateway starts its next queued read on every answer,
// CANCELLED ones included): once its instance stopped, each call is answered CANCELLED, not made, and the
// whole chain is answered by the time stop's cancellation ends, so nothing is left to run after destroy().
struct CallsAgainOnEveryReply {
    lanchat_host_context* context = nullptr;
    lanchat_rpc_call_options options{};
    int calls_left = 0;
    int replies = 0;
    int cancelled = 0;

    static void reply(void* user, lanchat_status_code code, lanchat_str, lanchat_bytes) {
        auto* self = static_cast<CallsAgainOnEveryReply*>(user);
        ++self->replies;
        self->cancelled += code == LANCHAT_CANCELLED;
        if (self->calls_left-- > 0) {
            rpc_api_table()->call_unary(self->context, &self->options, {}, &CallsAgainOnEveryReply::reply, self);
        }
    }
};

TEST_F(RpcApiTest, CallsAPluginMakesFromRepliesWhileItStopsAreAnsweredCancelledBeforeItIsDestroyed) {
    CallsAgainOnEveryReply plugin{&context_, options(), 200};
    context_.rpc_owner->stop();  // what PluginInstance::stop does once the plugin's stop() returned
    rpc_api_table()->call_unary(&context_, &plugin.options, {}, &CallsAgainOnEveryReply::reply, &plugin);
    EXPECT_EQ(executor_.cancel_all(&context_), 0u);  // the rest of PluginInstance::stop
    EXPECT_EQ(plugin.replies, 201);
    EXPECT_EQ(plugin.cancelled, 201);
    EXPECT_EQ(executor_.scheduled_count(&context_), 0u);
}

}  // namespace
}  // namespace lanchat::host::abi

// In-process calls (LocalCall): a caller and a serving "plugin" (C handlers behind a real RoutingTable,
// AuthorizationPolicy, Admission and RpcOwner) meet without the network, and every property the gRPC path
// has holds: identity and authorization, lineage, deadlines, cancellation, limits, reload and stop.
#include "mesh/local_call.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "logging/log.hpp"
#include "mesh/admission.hpp"
#include "mesh/authorization.hpp"
#include "mesh/deadline_timer.hpp"
#include "mesh/local_threads.hpp"
#include "mesh/routing_table.hpp"
#include "mesh/rpc_owner.hpp"
#include "mesh/server_telemetry.hpp"
#include "metrics/registry.hpp"

namespace lanchat::host::mesh {
namespace {

using namespace std::chrono_literals;

const std::string kSay = "/lanchat.acme.v1.Acme/Say";
const std::string kWatch = "/lanchat.acme.v1.Acme/Watch";
const std::string kCaller = "spiffe://lan-chat.test/svc/caller";
constexpr size_t kMaxMessageBytes = 1024;
constexpr size_t kQueueLimit = 8;

std::string text(lanchat_str str) { return {str.data, str.size}; }
std::string text(lanchat_bytes bytes) { return {reinterpret_cast<const char*>(bytes.data), bytes.size}; }
lanchat_bytes bytes(const std::string& s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

// The serving plugin: records what each handler was handed; answers at once ("echo") or holds the call.
struct Plugin {
    explicit Plugin(std::string name) : owner(std::make_shared<RpcOwner>(std::move(name))) {}

    struct Handed {
        lanchat_rpc_call* call = nullptr;
        std::string request, peer, correlation_id, trace_id;
        uint64_t deadline_unix_ms = 0;
        std::thread::id thread;
    };

    std::shared_ptr<RpcOwner> owner;
    bool hold = false;
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<Handed> handed;
    int cancelled = 0;

    static void handle(void* user, lanchat_rpc_call* call, const lanchat_rpc_call_info* info, lanchat_bytes request) {
        auto* plugin = static_cast<Plugin*>(user);
        Handed seen{call,
                    text(request),
                    text(info->peer_identity),
                    text(info->correlation_id),
                    text(info->trace_id),
                    info->deadline_unix_ms,
                    std::this_thread::get_id()};
        bool hold = false;
        {
            std::lock_guard lock(plugin->mutex);
            plugin->handed.push_back(seen);
            hold = plugin->hold;
        }
        plugin->changed.notify_all();
        if (!hold) finish_call(call, LANCHAT_OK, {}, bytes(plugin->owner->plugin_name() + ":" + seen.request));
    }
    static void on_cancelled(void* user, lanchat_rpc_call*) {
        auto* plugin = static_cast<Plugin*>(user);
        {
            std::lock_guard lock(plugin->mutex);
            ++plugin->cancelled;
        }
        plugin->changed.notify_all();
    }

    Route route(const std::string& method, lanchat_rpc_kind kind) {
        return Route{method, kind, &Plugin::handle, &Plugin::on_cancelled, this, owner};
    }
    Handed wait_for_call(size_t index = 0) {
        std::unique_lock lock(mutex);
        EXPECT_TRUE(changed.wait_for(lock, 5s, [&] { return handed.size() > index; })) << "no call arrived";
        return handed.size() > index ? handed[index] : Handed{};
    }
    bool wait_cancelled() {
        std::unique_lock lock(mutex);
        return changed.wait_for(lock, 5s, [&] { return cancelled > 0; });
    }
    size_t calls() {
        std::lock_guard lock(mutex);
        return handed.size();
    }
};

// The caller: what its message and answer callbacks heard, and on which thread.
struct Caller {
    struct Answer {
        lanchat_status_code code;
        std::string message, response;
    };
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<std::string> messages;
    std::vector<Answer> answers;
    std::thread::id answer_thread;
    std::promise<void> go_on;  // a slow reader waits on it in its first message
    std::shared_future<void> may_read = go_on.get_future().share();
    bool slow = false;

    MessageFn on_message() {
        return [this](const std::string& message) {
            if (slow) may_read.wait();
            std::lock_guard lock(mutex);
            messages.push_back(message);
        };
    }
    LocalCall::AnswerFn on_answer() {
        return [this](lanchat_status_code code, const std::string& message, const std::string& response) {
            {
                std::lock_guard lock(mutex);
                answers.push_back({code, message, response});
                answer_thread = std::this_thread::get_id();
            }
            changed.notify_all();
        };
    }
    Answer wait_answer() {
        std::unique_lock lock(mutex);
        EXPECT_TRUE(changed.wait_for(lock, 5s, [&] { return !answers.empty(); })) << "no answer came";
        return answers.empty() ? Answer{LANCHAT_UNKNOWN, "none", ""} : answers.front();
    }
    size_t answer_count() {
        std::lock_guard lock(mutex);
        return answers.size();
    }
};

class LocalCallTest : public ::testing::Test {
protected:
    void serve(Plugin& plugin, const std::string& method, lanchat_rpc_kind kind = LANCHAT_RPC_UNARY) {
        ASSERT_TRUE(routes_.add(plugin.route(method, kind)).ok());
    }

    std::shared_ptr<LocalCall> call(Caller& caller, const std::string& method, const std::string& request,
                                    lanchat_rpc_kind kind = LANCHAT_RPC_UNARY, const std::string& identity = kCaller,
                                    std::chrono::milliseconds timeout = 5s) {
        OutboundCall outbound;
        outbound.caller_service = "caller";
        outbound.service = "acme";
        outbound.method = method;
        outbound.request = request;
        outbound.lineage.correlation_id = "corr-7";
        outbound.lineage.trace_id = "0123456789abcdef0123456789abcdef";
        auto made = std::make_shared<LocalCall>(transport_, outbound, kind, identity, "00000000000000aa",
                                                std::chrono::system_clock::now() + timeout, caller.on_message(),
                                                caller.on_answer());
        made->start();
        return made;
    }

    double sample(const std::string& name, const std::vector<std::pair<std::string, std::string>>& labels) {
        for (const metrics::Sample& found : metrics_.samples()) {
            if (found.name == name && found.labels == labels) return found.value;
        }
        return 0;
    }

    NodeLog log_{LogFormat::json, LANCHAT_LOG_ERROR};
    metrics::Registry metrics_;
    RoutingTable routes_;
    AuthorizationPolicy policy_{"lan-chat.test", {{"acme", {"caller"}}}};
    ServerTelemetry telemetry_{metrics_, nullptr};
    Admission admission_{routes_, policy_, telemetry_, log_};
    LocalThreads threads_{1, 8};
    DeadlineTimer deadlines_;  // before the threads it posts to are gone
    LocalCall::Transport transport_{routes_,  admission_,       telemetry_, deadlines_,
                                    threads_, kMaxMessageBytes, kQueueLimit};
    Plugin acme_{"acme"};
};

TEST_F(LocalCallTest, TheHandlerGetsTheCallersIdentityAndLineageAndTheReplyComesBackOnAnotherThread) {
    serve(acme_, kSay);
    Caller caller;
    call(caller, kSay, "hello");
    Caller::Answer answer = caller.wait_answer();
    EXPECT_EQ(answer.code, LANCHAT_OK) << answer.message;
    EXPECT_EQ(answer.response, "acme:hello");
    Plugin::Handed handed = acme_.wait_for_call();
    EXPECT_EQ(handed.peer, kCaller);
    EXPECT_EQ(handed.correlation_id, "corr-7");
    EXPECT_EQ(handed.trace_id, "0123456789abcdef0123456789abcdef");
    EXPECT_GT(handed.deadline_unix_ms, 0u);
    EXPECT_NE(handed.thread, std::this_thread::get_id());
    EXPECT_NE(caller.answer_thread, std::this_thread::get_id());
    EXPECT_EQ(sample("lanchat_rpc_server_requests_total",
                     {{"service", "lanchat.acme.v1.Acme"}, {"method", "Say"}, {"code", "OK"}}),
              1);
}

TEST_F(LocalCallTest, ACallerOutsideTheAllowlistIsRefusedAndCountedWithoutReachingThePlugin) {
    serve(acme_, kSay);
    Caller caller;
    call(caller, kSay, "let me in", LANCHAT_RPC_UNARY, "spiffe://lan-chat.test/svc/intruder");
    Caller::Answer answer = caller.wait_answer();
    EXPECT_EQ(answer.code, LANCHAT_PERMISSION_DENIED);
    EXPECT_EQ(answer.message,
              "spiffe://lan-chat.test/svc/intruder may not call " + kSay +
                  "; to allow it, add \"lanchat.acme.v1.Acme\" = [\"intruder\"] to [authorization] in the "
                  "node file");
    EXPECT_EQ(acme_.calls(), 0u);
    EXPECT_EQ(sample("lanchat_rpc_refused_total", {{"method", kSay}}), 1);
    EXPECT_EQ(sample("lanchat_rpc_server_requests_total",
                     {{"service", "unknown"}, {"method", "unknown"}, {"code", "PERMISSION_DENIED"}}),
              1);
}

TEST_F(LocalCallTest, AMethodNobodyServesOrCalledAsTheWrongKindIsUnimplemented) {
    serve(acme_, kWatch, LANCHAT_RPC_SERVER_STREAMING);
    Caller nobody, wrong_kind;
    call(nobody, kSay, "anyone?");
    EXPECT_EQ(nobody.wait_answer().code, LANCHAT_UNIMPLEMENTED);
    call(wrong_kind, kWatch, "unary please");
    Caller::Answer answer = wrong_kind.wait_answer();
    EXPECT_EQ(answer.code, LANCHAT_UNIMPLEMENTED);
    EXPECT_EQ(answer.message, kWatch + " is server-streaming, called as unary");
    EXPECT_EQ(acme_.calls(), 0u);
}

TEST_F(LocalCallTest, AHandlerThatDoesNotAnswerInTimeFailsTheCallAndItsLateAnswerIsDropped) {
    acme_.hold = true;
    serve(acme_, kSay);
    Caller caller;
    call(caller, kSay, "slow", LANCHAT_RPC_UNARY, kCaller, 100ms);
    Caller::Answer answer = caller.wait_answer();
    EXPECT_EQ(answer.code, LANCHAT_DEADLINE_EXCEEDED);
    EXPECT_TRUE(acme_.wait_cancelled());
    finish_call(acme_.wait_for_call().call, LANCHAT_OK, {}, bytes("too late"));
    std::this_thread::sleep_for(50ms);
    EXPECT_EQ(caller.answer_count(), 1u);
    EXPECT_TRUE(acme_.owner->wait_for_inbound(std::chrono::steady_clock::now() + 1s));
}

TEST_F(LocalCallTest, ACallWhoseCallerGaveUpBeforeItWasServedNeverReachesThePlugin) {
    serve(acme_, kSay);
    auto admitted = admission_.admit(kSay, kCaller, std::chrono::system_clock::now() - 1ms);
    ASSERT_FALSE(admitted.ok());
    EXPECT_EQ(admitted.status().code(), sdk::Code::deadline_exceeded);
    EXPECT_EQ(admitted.status().message(),
              "the caller's deadline passed before " + kSay + " was served; nothing was done");
    Caller caller;
    call(caller, kSay, "too late already", LANCHAT_RPC_UNARY, kCaller, -1ms);
    EXPECT_EQ(caller.wait_answer().code, LANCHAT_DEADLINE_EXCEEDED);
    EXPECT_EQ(acme_.calls(), 0u);
    EXPECT_TRUE(acme_.owner->wait_for_inbound(std::chrono::steady_clock::now() + 1s));  // no admission left open
}

TEST_F(LocalCallTest, AStreamDeliversEveryMessageInOrderBeforeItsAnswer) {
    acme_.hold = true;
    serve(acme_, kWatch, LANCHAT_RPC_SERVER_STREAMING);
    Caller caller;
    call(caller, kWatch, "watch", LANCHAT_RPC_SERVER_STREAMING);
    lanchat_rpc_call* served = acme_.wait_for_call().call;
    for (int i = 1; i <= 5; ++i) {
        ASSERT_EQ(write_call(served, bytes("m" + std::to_string(i))), LANCHAT_OK);
        std::this_thread::sleep_for(1ms);  // within the queue limit however slowly the caller reads
    }
    finish_call(served, LANCHAT_OK, {}, {});
    EXPECT_EQ(caller.wait_answer().code, LANCHAT_OK);
    EXPECT_EQ(caller.messages, (std::vector<std::string>{"m1", "m2", "m3", "m4", "m5"}));
}

TEST_F(LocalCallTest, CancellingAStreamTellsThePluginFailsItsWritesAndAnswersCancelled) {
    acme_.hold = true;
    serve(acme_, kWatch, LANCHAT_RPC_SERVER_STREAMING);
    Caller caller;
    auto stream = call(caller, kWatch, "watch", LANCHAT_RPC_SERVER_STREAMING);
    lanchat_rpc_call* served = acme_.wait_for_call().call;
    stream->cancel(LANCHAT_CANCELLED, "Cancelled");
    EXPECT_EQ(caller.wait_answer().code, LANCHAT_CANCELLED);
    EXPECT_TRUE(acme_.wait_cancelled());
    EXPECT_EQ(write_call(served, bytes("anyone?")), LANCHAT_CANCELLED);
    finish_call(served, LANCHAT_OK, {}, {});
    EXPECT_EQ(caller.answer_count(), 1u);
}

TEST_F(LocalCallTest, AReaderThatDoesNotKeepUpMakesWritesFailInsteadOfGrowingTheQueue) {
    acme_.hold = true;
    serve(acme_, kWatch, LANCHAT_RPC_SERVER_STREAMING);
    Caller caller;
    caller.slow = true;
    call(caller, kWatch, "watch", LANCHAT_RPC_SERVER_STREAMING);
    lanchat_rpc_call* served = acme_.wait_for_call().call;
    size_t accepted = 0;
    while (accepted < 100 && write_call(served, bytes("m" + std::to_string(accepted))) == LANCHAT_OK) ++accepted;
    EXPECT_EQ(write_call(served, bytes("more")), LANCHAT_RESOURCE_EXHAUSTED);
    // The queue holds kQueueLimit; one more may be in the reader's hands already.
    EXPECT_GE(accepted, kQueueLimit);
    EXPECT_LE(accepted, kQueueLimit + 1);
    caller.go_on.set_value();
    finish_call(served, LANCHAT_OK, {}, {});
    EXPECT_EQ(caller.wait_answer().code, LANCHAT_OK);
    EXPECT_EQ(caller.messages.size(), accepted);
}

TEST_F(LocalCallTest, RequestsRepliesAndMessagesOverTheSizeLimitFailWithResourceExhausted) {
    serve(acme_, kSay);
    const std::string big(kMaxMessageBytes + 1, 'x');
    Caller request_too_big, reply_too_big;
    call(request_too_big, kSay, big);
    Caller::Answer refused = request_too_big.wait_answer();
    EXPECT_EQ(refused.code, LANCHAT_RESOURCE_EXHAUSTED);
    EXPECT_EQ(refused.message, "the request of 1025 bytes is larger than [mesh] max_message_bytes (1024)");
    EXPECT_EQ(acme_.calls(), 0u);
    call(reply_too_big, kSay, big.substr(0, kMaxMessageBytes - 2));  // "acme:" makes the reply too big
    EXPECT_EQ(reply_too_big.wait_answer().code, LANCHAT_RESOURCE_EXHAUSTED);
}

TEST_F(LocalCallTest, DuringAReloadACallInFlightFinishesOnTheOldInstanceAndNewCallsGoToTheNew) {
    acme_.hold = true;
    serve(acme_, kSay);
    Caller first;
    call(first, kSay, "before");
    lanchat_rpc_call* in_flight = acme_.wait_for_call().call;

    Plugin successor("acme-v2");
    routes_.stage(acme_.owner.get(), successor.owner.get());
    serve(successor, kSay);
    routes_.promote(successor.owner.get());
    acme_.owner->begin_drain();
    Caller second;
    call(second, kSay, "after");
    EXPECT_EQ(second.wait_answer().response, "acme-v2:after");

    finish_call(in_flight, LANCHAT_OK, {}, bytes("acme:before"));
    EXPECT_EQ(first.wait_answer().response, "acme:before");
}

TEST_F(LocalCallTest, ADrainingInstanceWithNoSuccessorRefusesNewCallsAndAStoppedOneEndsItsOpenCalls) {
    acme_.hold = true;
    serve(acme_, kSay);
    Caller open;
    call(open, kSay, "open");
    acme_.wait_for_call();
    acme_.owner->begin_drain();
    Caller refused;
    call(refused, kSay, "new");
    EXPECT_EQ(refused.wait_answer().code, LANCHAT_UNAVAILABLE);
    acme_.owner->stop();
    Caller::Answer ended = open.wait_answer();
    EXPECT_EQ(ended.code, LANCHAT_UNAVAILABLE);
    EXPECT_EQ(ended.message, "the serving plugin stopped");
}

TEST(LocalThreadsTest, ATaskThatBlocksDoesNotHoldUpTheNext) {
    LocalThreads threads(1, 4);
    std::promise<void> release;
    std::shared_future<void> released = release.get_future().share();
    std::promise<void> second_ran;
    threads.post([released] { released.wait(); });
    threads.post([&] { second_ran.set_value(); });
    EXPECT_EQ(second_ran.get_future().wait_for(5s), std::future_status::ready);
    EXPECT_EQ(threads.thread_count(), 2u);
    release.set_value();
}

TEST(DeadlineTimerTest, RunsWhatIsArmedInDeadlineOrderAndNothingCancelled) {
    DeadlineTimer timer;
    std::mutex mutex;
    std::vector<std::string> ran;
    std::promise<void> last_ran;
    auto now = std::chrono::system_clock::now();
    auto record = [&](const std::string& name) {
        std::lock_guard lock(mutex);
        ran.push_back(name);
    };
    timer.arm(now + 80ms, [&] {
        record("late");
        last_ran.set_value();
    });
    DeadlineTimer::Id cancelled = timer.arm(now + 40ms, [&] { record("cancelled"); });
    timer.arm(now + 20ms, [&] { record("soon"); });
    timer.cancel(cancelled);
    ASSERT_EQ(last_ran.get_future().wait_for(5s), std::future_status::ready);
    std::lock_guard lock(mutex);
    EXPECT_EQ(ran, (std::vector<std::string>{"soon", "late"}));
}

}  // namespace
}  // namespace lanchat::host::mesh

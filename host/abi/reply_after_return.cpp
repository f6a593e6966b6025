#include "abi/reply_after_return.hpp"

#include <mutex>
#include <optional>
#include <string>

#include "abi/slice.hpp"
#include "logging/request_scope.hpp"
#include "runtime/host_context.hpp"

namespace lanchat::host::abi {
namespace {

// One answer on its way to the plugin, with the request ids its log lines should carry.
struct Answer {
    lanchat_rpc_reply_fn reply = nullptr;
    void* user = nullptr;
    lanchat_status_code code = LANCHAT_OK;
    std::string message;
    std::string response;
    std::string correlation_id;
    std::string trace_id;
    bool delivered = false;

    void deliver() {
        RequestScope scope(correlation_id, trace_id);
        reply(user, code, to_str(message), to_bytes(response));
        delivered = true;
    }
};

void run_posted(void* user) { static_cast<Answer*>(user)->deliver(); }

// Also reached when the instance stops before the task ran: the reply is still owed, so it is given here.
void release_posted(void* user) {
    auto* answer = static_cast<Answer*>(user);
    if (!answer->delivered) answer->deliver();
    delete answer;
}

}  // namespace

struct ReplyAfterReturn::State {
    lanchat_host_context* ctx = nullptr;
    lanchat_rpc_reply_fn reply = nullptr;
    void* user = nullptr;
    std::mutex mutex;
    bool returned = false;
    std::optional<Answer> held;
};

ReplyAfterReturn::ReplyAfterReturn(lanchat_host_context* ctx, lanchat_rpc_reply_fn reply, void* user)
    : state_(std::make_shared<State>()) {
    state_->ctx = ctx;
    state_->reply = reply;
    state_->user = user;
}

ReplyAfterReturn::~ReplyAfterReturn() {
    std::optional<Answer> held;
    {
        std::lock_guard lock(state_->mutex);
        state_->returned = true;
        held.swap(state_->held);
    }
    if (!held) return;
    auto* posted = new Answer(std::move(*held));
    state_->ctx->executor->schedule(state_->ctx, 0, 0, &run_posted, &release_posted, posted);
}

mesh::ReplyFn ReplyAfterReturn::reply_fn() const {
    return [state = state_](lanchat_status_code code, const std::string& message, const std::string& response) {
        {
            std::lock_guard lock(state->mutex);
            if (!state->returned) {
                RequestIds request = current_request();
                state->held = Answer{state->reply,
                                     state->user,
                                     code,
                                     message,
                                     response,
                                     std::string(request.correlation_id),
                                     std::string(request.trace_id)};
                return;
            }
        }
        state->reply(state->user, code, to_str(message), to_bytes(response));
    };
}

}  // namespace lanchat::host::abi

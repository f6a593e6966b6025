// Rpc: typed protobuf handlers and calls over the host's mesh (ABI 1.1). Include only in plugins that use
// RPC; it needs protobuf (MessageLite, so LITE_RUNTIME messages work too).
#pragma once

#include <google/protobuf/message_lite.h>

#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "lanchat/plugin_abi.h"
#include "lanchat/sdk/host.hpp"
#include "lanchat/sdk/logger.hpp"
#include "lanchat/sdk/sink.hpp"
#include "lanchat/sdk/status.hpp"

namespace lanchat::sdk {

// What the host knows of an inbound call. `call` is the handle to pass as CallOptions::parent so the
// correlation id, trace and deadline carry over to the calls a handler makes.
struct CallInfo {
    std::string method;
    std::string peer;  // the caller's SPIFFE ID
    std::string correlation_id;
    std::string trace_id;
    uint64_t deadline_unix_ms = 0;
    lanchat_rpc_call* call = nullptr;
};

struct CallOptions {
    std::string service;                   // logical service, e.g. "audit"
    std::string method;                    // "/lanchat.audit.v1.Audit/Append"
    std::chrono::milliseconds timeout{0};  // 0: the node's default deadline
    bool idempotent = false;               // true: retried with backoff within the deadline
    lanchat_rpc_call* parent = nullptr;    // CallInfo::call of the call being served, if any
};

namespace detail {

inline std::string bytes_of(const google::protobuf::MessageLite& message) {
    std::string bytes;
    message.SerializeToString(&bytes);
    return bytes;
}
inline lanchat_bytes to_abi_bytes(const std::string& bytes) {
    return {reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()};
}

// The plugin's half of one inbound call: finish exactly once, from any thread.
class CallHandle {
public:
    // `on_drop` ends the call if the plugin lets go of it without finishing.
    CallHandle(const lanchat_rpc_api* rpc, lanchat_rpc_call* call, Status on_drop)
        : rpc_(rpc), call_(call), on_drop_(std::move(on_drop)) {}
    ~CallHandle() { finish(on_drop_, {}); }

    void finish(const Status& status, const std::string& response) {
        std::lock_guard lock(mutex_);
        if (finished_) return;
        finished_ = true;
        rpc_->finish(call_, static_cast<lanchat_status_code>(status.code()), to_abi(status.message()),
                     to_abi_bytes(response));
    }
    Status write(const std::string& message) {
        std::lock_guard lock(mutex_);
        if (finished_) return {Code::failed_precondition, "the stream is already finished"};
        lanchat_status_code code = rpc_->write(call_, to_abi_bytes(message));
        if (code == LANCHAT_OK) return {};
        return {static_cast<Code>(code),
                code == LANCHAT_RESOURCE_EXHAUSTED ? "the client is not keeping up" : "the call has ended"};
    }
    lanchat_rpc_call* call() const { return call_; }

private:
    const lanchat_rpc_api* rpc_;
    lanchat_rpc_call* call_;
    Status on_drop_;
    std::mutex mutex_;
    bool finished_ = false;
};

}  // namespace detail

// Answers one unary call. Move it anywhere (another thread, a callback); reply or fail exactly once.
// Dropping it unanswered fails the call with INTERNAL.
template <class Response>
class Responder {
public:
    explicit Responder(std::shared_ptr<detail::CallHandle> handle) : handle_(std::move(handle)) {}
    void reply(const Response& response) { handle_->finish({}, detail::bytes_of(response)); }
    void fail(const Status& status) { handle_->finish(status.ok() ? Status(Code::internal, "failed") : status, {}); }
    // Replies with the value, or fails with the status.
    void answer(const Result<Response>& result) {
        if (result.ok()) return reply(*result);
        fail(result.status());
    }

private:
    std::shared_ptr<detail::CallHandle> handle_;
};

// The responder as a completion callback, for logic that answers later through `done(Result)`.
template <class Response>
std::function<void(Result<Response>)> answer_with(Responder<Response> responder) {
    return [responder](Result<Response> result) mutable { responder.answer(result); };
}

// Writes a server stream. Copies share the stream; the last copy dropped ends it with OK.
template <class Message>
class StreamWriter {
public:
    explicit StreamWriter(std::shared_ptr<detail::CallHandle> handle) : handle_(std::move(handle)) {}
    // OK when queued; CANCELLED when the client has gone; RESOURCE_EXHAUSTED when it is too slow.
    Status write(const Message& message) { return handle_->write(detail::bytes_of(message)); }
    void finish(const Status& status = {}) { handle_->finish(status, {}); }
    lanchat_rpc_call* call() const { return handle_->call(); }

private:
    std::shared_ptr<detail::CallHandle> handle_;
};

// Serves and calls methods for one plugin instance. Handlers stay registered until the plugin stops.
class Rpc {
public:
    explicit Rpc(const Host& host) : host_(host.abi()), ctx_(host.abi_context()) {}

    template <class Request, class Response>
    using UnaryHandler = std::function<void(const CallInfo&, Request, Responder<Response>)>;
    template <class Request, class Message>
    using StreamHandler = std::function<void(const CallInfo&, Request, StreamWriter<Message>)>;

    template <class Request, class Response>
    Status serve_unary(const std::string& method, UnaryHandler<Request, Response> handler) {
        auto dispatch = parsing<Request>([handler = std::move(handler)](const CallInfo& info, Request request,
                                                                        std::shared_ptr<detail::CallHandle> handle) {
            handler(info, std::move(request), Responder<Response>(std::move(handle)));
        });
        return serve(method, LANCHAT_RPC_UNARY, std::move(dispatch));
    }

    // A unary method whose logic answers on the calling thread with a Result: the value is the reply, a
    // failed Result is the call's status.
    template <class Request, class Response>
    Status serve_sync(const std::string& method,
                      std::function<Result<Response>(const CallInfo&, const Request&)> logic) {
        return serve_unary<Request, Response>(
            method, [logic = std::move(logic)](const CallInfo& call, Request request, Responder<Response> responder) {
                responder.answer(logic(call, request));
            });
    }

    template <class Request, class Message>
    // `cancelled`, if given, is told once when a stream ends before the plugin finished it (the client left,
    // its deadline passed), with the call that StreamWriter::call() names; the plugin still finishes it.
    Status serve_stream(const std::string& method, StreamHandler<Request, Message> handler,
                        std::function<void(lanchat_rpc_call*)> cancelled = {}) {
        auto dispatch = parsing<Request>([handler = std::move(handler)](const CallInfo& info, Request request,
                                                                        std::shared_ptr<detail::CallHandle> handle) {
            handler(info, std::move(request), StreamWriter<Message>(std::move(handle)));
        });
        return serve(method, LANCHAT_RPC_SERVER_STREAMING, std::move(dispatch), std::move(cancelled));
    }

    // Calls a unary method; `done` runs once on a host thread with the response or the failure. `node` names
    // the member to call (ABI 1.7); empty: any node hosting the service.
    template <class Request, class Response>
    void call(const CallOptions& options, const Request& request, std::function<void(Result<Response>)> done,
              const std::string& node = {}) const {
        auto* pending = new std::function<void(Result<Response>)>(std::move(done));
        lanchat_rpc_call_options abi = to_abi_options(options, node);
        std::string bytes = detail::bytes_of(request);
        host_->rpc->call_unary(ctx_, &abi, detail::to_abi_bytes(bytes), &Rpc::reply_unary<Response>, pending);
    }

    // Calls a server-streaming method: `on_message` per message, then `done` once. Returns an id for cancel().
    // `node` as for call().
    template <class Request, class Message>
    lanchat_rpc_stream_id call_stream(const CallOptions& options, const Request& request,
                                      std::function<void(Message)> on_message, std::function<void(Status)> done,
                                      const std::string& node = {}) const {
        auto* pending = new StreamCallbacks<Message>{std::move(on_message), std::move(done)};
        lanchat_rpc_call_options abi = to_abi_options(options, node);
        std::string bytes = detail::bytes_of(request);
        return host_->rpc->call_server_stream(ctx_, &abi, detail::to_abi_bytes(bytes), &Rpc::stream_message<Message>,
                                              &Rpc::stream_done<Message>, pending);
    }
    void cancel(lanchat_rpc_stream_id id) const { host_->rpc->cancel_stream(ctx_, id); }

private:
    using Dispatch = std::function<void(const CallInfo&, const std::string&, std::shared_ptr<detail::CallHandle>)>;

    // The dispatch of a method taking `Request`: bytes that do not parse are refused with INVALID_ARGUMENT
    // before `handler` runs; otherwise it gets the parsed request and the call.
    template <class Request, class Handler>
    static Dispatch parsing(Handler handler) {
        return [handler = std::move(handler)](const CallInfo& info, const std::string& bytes,
                                              std::shared_ptr<detail::CallHandle> handle) {
            Request request;
            if (!request.ParseFromString(bytes)) {
                return handle->finish({Code::invalid_argument, "malformed request for " + info.method}, {});
            }
            handler(info, std::move(request), std::move(handle));
        };
    }
    struct Method {
        const lanchat_rpc_api* rpc;
        lanchat_rpc_kind kind;
        Dispatch dispatch;
        Logger logger;  // says when a handler throws
        std::function<void(lanchat_rpc_call*)> cancelled;
    };
    template <class Message>
    struct StreamCallbacks {
        std::function<void(Message)> on_message;
        std::function<void(Status)> done;
    };

    Status serve(const std::string& method, lanchat_rpc_kind kind, Dispatch dispatch,
                 std::function<void(lanchat_rpc_call*)> cancelled = {}) {
        const bool tell_cancel = static_cast<bool>(cancelled);
        methods_.push_back(std::make_unique<Method>(
            Method{host_->rpc, kind, std::move(dispatch), Logger(host_, ctx_), std::move(cancelled)}));
        lanchat_rpc_method abi{};
        abi.struct_size = sizeof abi;
        abi.full_name = detail::to_abi(method);
        abi.kind = kind;
        abi.handler = &Rpc::handle;
        abi.cancelled = tell_cancel ? &Rpc::on_cancelled : nullptr;
        abi.user = methods_.back().get();
        StringSink error;
        lanchat_status_code code = host_->rpc->serve(ctx_, &abi, error.get());
        if (code != LANCHAT_OK) return {static_cast<Code>(code), "serving " + method + ": " + error.text()};
        return {};
    }

    static void handle(void* user, lanchat_rpc_call* call, const lanchat_rpc_call_info* info,
                       lanchat_bytes request) noexcept {
        auto* method = static_cast<Method*>(user);
        Status on_drop = method->kind == LANCHAT_RPC_UNARY
                             ? Status(Code::internal, "the handler dropped the call without answering")
                             : Status();
        auto handle = std::make_shared<detail::CallHandle>(method->rpc, call, std::move(on_drop));
        CallInfo described{std::string(detail::from_abi(info->method)),
                           std::string(detail::from_abi(info->peer_identity)),
                           std::string(detail::from_abi(info->correlation_id)),
                           std::string(detail::from_abi(info->trace_id)),
                           info->deadline_unix_ms,
                           call};
        // A handle the handler still held is dropped by the unwinding, which ends the call.
        try {
            method->dispatch(described, std::string(reinterpret_cast<const char*>(request.data), request.size),
                             std::move(handle));
        } catch (const std::exception& e) {
            method->logger.error("handler threw an exception", {{"method", described.method}, {"what", e.what()}});
        } catch (...) {
            method->logger.error("handler threw a non-standard exception", {{"method", described.method}});
        }
    }

    static void on_cancelled(void* user, lanchat_rpc_call* call) noexcept {
        auto* method = static_cast<Method*>(user);
        try {
            method->cancelled(call);
        } catch (const std::exception& e) {
            method->logger.error("cancellation handler threw an exception", {{"what", e.what()}});
        } catch (...) {
            method->logger.error("cancellation handler threw a non-standard exception");
        }
    }

    static lanchat_rpc_call_options to_abi_options(const CallOptions& options, const std::string& node) {
        lanchat_rpc_call_options abi{};
        abi.struct_size = sizeof abi;
        abi.service = detail::to_abi(options.service);
        abi.method = detail::to_abi(options.method);
        abi.timeout_ms = static_cast<uint64_t>(options.timeout.count());
        abi.idempotent = options.idempotent ? 1 : 0;
        abi.parent = options.parent;
        abi.node = detail::to_abi(node);
        return abi;
    }

    template <class Response>
    static void reply_unary(void* user, lanchat_status_code code, lanchat_str message,
                            lanchat_bytes response) noexcept {
        std::unique_ptr<std::function<void(Result<Response>)>> done(
            static_cast<std::function<void(Result<Response>)>*>(user));
        try {
            if (code != LANCHAT_OK)
                return (*done)(Status(static_cast<Code>(code), std::string(detail::from_abi(message))));
            Response parsed;
            if (!parsed.ParseFromArray(response.data, static_cast<int>(response.size))) {
                return (*done)(Status(Code::internal, "malformed response"));
            }
            (*done)(std::move(parsed));
        } catch (...) {
        }
    }

    template <class Message>
    static void stream_message(void* user, lanchat_bytes bytes) noexcept {
        auto* callbacks = static_cast<StreamCallbacks<Message>*>(user);
        Message message;
        if (!message.ParseFromArray(bytes.data, static_cast<int>(bytes.size))) return;
        try {
            callbacks->on_message(std::move(message));
        } catch (...) {
        }
    }

    template <class Message>
    static void stream_done(void* user, lanchat_status_code code, lanchat_str message, lanchat_bytes) noexcept {
        std::unique_ptr<StreamCallbacks<Message>> callbacks(static_cast<StreamCallbacks<Message>*>(user));
        try {
            callbacks->done(Status(static_cast<Code>(code), std::string(detail::from_abi(message))));
        } catch (...) {
        }
    }

    const lanchat_host_api* host_;
    lanchat_host_context* ctx_;
    std::vector<std::unique_ptr<Method>> methods_;  // outlive their routes: the host removes routes at stop
};

}  // namespace lanchat::sdk

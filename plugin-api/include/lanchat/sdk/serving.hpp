// Serving: registers a service's methods in order and stops at the first that fails.
//
//   return Serving(rpc_, "/lanchat.router.v1.Router/")
//       .unary<v1::SendRequest, v1::SendReply>("Send", ...)
//       .stream<v1::SubscribeRequest, v1::Delivery>("Subscribe", ...)
//       .status();
#pragma once

#include <functional>
#include <string>
#include <utility>

#include "lanchat/sdk/rpc.hpp"
#include "lanchat/sdk/status.hpp"

namespace lanchat::sdk {

// Each call serves `prefix + method` unless an earlier one failed; then it does nothing, so no method after
// a failure is registered, and status() is that first failure. Borrows `rpc` for its own lifetime.
class Serving {
public:
    Serving(Rpc& rpc, std::string prefix) : rpc_(rpc), prefix_(std::move(prefix)) {}

    template <class Request, class Response>
    Serving& unary(const std::string& method, Rpc::UnaryHandler<Request, Response> handler) {
        if (status_.ok()) status_ = rpc_.serve_unary<Request, Response>(prefix_ + method, std::move(handler));
        return *this;
    }

    template <class Request, class Response>
    Serving& sync(const std::string& method, std::function<Result<Response>(const CallInfo&, const Request&)> logic) {
        if (status_.ok()) status_ = rpc_.serve_sync<Request, Response>(prefix_ + method, std::move(logic));
        return *this;
    }

    // A unary method whose logic answers later, once, through `done` (a Result, on any thread): the
    // responder as answer_with makes it, without every plugin writing that lambda again.
    template <class Request, class Response>
    Serving& deferred(
        const std::string& method,
        std::function<void(const CallInfo&, const Request&, std::function<void(Result<Response>)> done)> logic) {
        return unary<Request, Response>(
            method, [logic = std::move(logic)](const CallInfo& call, Request request, Responder<Response> responder) {
                logic(call, request, answer_with(std::move(responder)));
            });
    }

    template <class Request, class Message>
    Serving& stream(const std::string& method, Rpc::StreamHandler<Request, Message> handler,
                    std::function<void(lanchat_rpc_call*)> cancelled = {}) {
        if (status_.ok()) {
            status_ = rpc_.serve_stream<Request, Message>(prefix_ + method, std::move(handler), std::move(cancelled));
        }
        return *this;
    }

    // OK when every method so far is served; otherwise the first failure.
    const Status& status() const { return status_; }

private:
    Rpc& rpc_;
    std::string prefix_;
    Status status_;
};

}  // namespace lanchat::sdk

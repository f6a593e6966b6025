// Status and Result: how SDK and host code report success or a reason for failure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "lanchat/plugin_abi.h"

namespace lanchat::sdk {

// The same numbers as gRPC status codes (and lanchat_status_code), so RPC statuses cross unchanged.
enum class Code : int32_t {
    ok = LANCHAT_OK,
    cancelled = LANCHAT_CANCELLED,
    unknown = LANCHAT_UNKNOWN,
    invalid_argument = LANCHAT_INVALID_ARGUMENT,
    deadline_exceeded = LANCHAT_DEADLINE_EXCEEDED,
    not_found = LANCHAT_NOT_FOUND,
    already_exists = LANCHAT_ALREADY_EXISTS,
    permission_denied = LANCHAT_PERMISSION_DENIED,
    resource_exhausted = LANCHAT_RESOURCE_EXHAUSTED,
    failed_precondition = LANCHAT_FAILED_PRECONDITION,
    aborted = LANCHAT_ABORTED,
    out_of_range = LANCHAT_OUT_OF_RANGE,
    unimplemented = LANCHAT_UNIMPLEMENTED,
    internal = LANCHAT_INTERNAL,
    unavailable = LANCHAT_UNAVAILABLE,
    data_loss = LANCHAT_DATA_LOSS,
    unauthenticated = LANCHAT_UNAUTHENTICATED,
};

inline const char* code_name(Code code) {
    switch (code) {
        case Code::ok: return "OK";
        case Code::cancelled: return "CANCELLED";
        case Code::unknown: return "UNKNOWN";
        case Code::invalid_argument: return "INVALID_ARGUMENT";
        case Code::deadline_exceeded: return "DEADLINE_EXCEEDED";
        case Code::not_found: return "NOT_FOUND";
        case Code::already_exists: return "ALREADY_EXISTS";
        case Code::permission_denied: return "PERMISSION_DENIED";
        case Code::resource_exhausted: return "RESOURCE_EXHAUSTED";
        case Code::failed_precondition: return "FAILED_PRECONDITION";
        case Code::aborted: return "ABORTED";
        case Code::out_of_range: return "OUT_OF_RANGE";
        case Code::unimplemented: return "UNIMPLEMENTED";
        case Code::internal: return "INTERNAL";
        case Code::unavailable: return "UNAVAILABLE";
        case Code::data_loss: return "DATA_LOSS";
        case Code::unauthenticated: return "UNAUTHENTICATED";
    }
    return "UNKNOWN";
}

// Success, or a code with a message that says what was wrong, where, and how to fix it.
class [[nodiscard]] Status {
public:
    Status() = default;
    Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

    bool ok() const { return code_ == Code::ok; }
    Code code() const { return code_; }
    const std::string& message() const { return message_; }

private:
    Code code_ = Code::ok;
    std::string message_;
};

inline Status ok_status() { return {}; }
inline Status invalid_argument(std::string message) { return {Code::invalid_argument, std::move(message)}; }
inline Status failed_precondition(std::string message) { return {Code::failed_precondition, std::move(message)}; }
inline Status not_found(std::string message) { return {Code::not_found, std::move(message)}; }
inline Status internal_error(std::string message) { return {Code::internal, std::move(message)}; }
inline Status unavailable(std::string message) { return {Code::unavailable, std::move(message)}; }

// A value or the Status saying why there is none.
template <class T>
class [[nodiscard]] Result {
public:
    Result(T value) : value_(std::move(value)) {}         // NOLINT(google-explicit-constructor): returns read naturally
    Result(Status status) : value_(std::move(status)) {}  // NOLINT(google-explicit-constructor)

    bool ok() const { return std::holds_alternative<T>(value_); }
    explicit operator bool() const { return ok(); }

    // The failure; an OK status when there is a value.
    Status status() const { return ok() ? Status{} : std::get<Status>(value_); }

    T& value() & { return std::get<T>(value_); }
    const T& value() const& { return std::get<T>(value_); }
    T&& value() && { return std::get<T>(std::move(value_)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

private:
    std::variant<T, Status> value_;
};

// Thrown inside plugin code where returning a Status is awkward (constructors). The SDK catches it at the
// boundary and hands the code and message to the host; it never crosses the C ABI.
class StatusError : public std::exception {
public:
    explicit StatusError(Status status) : status_(std::move(status)) {}
    const Status& status() const { return status_; }
    const char* what() const noexcept override { return status_.message().c_str(); }

private:
    Status status_;
};

// Returns the value or throws StatusError: for code that prefers exceptions (constructors, start()).
template <class T>
T value_or_throw(Result<T> result) {
    if (!result.ok()) throw StatusError(result.status());
    return std::move(result).value();
}

}  // namespace lanchat::sdk

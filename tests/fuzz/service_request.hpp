// How a service fuzzer hands bytes to a handler the way the SDK's Serving does: the first byte picks the
// RPC, the rest is parsed as its request message (a message that does not parse is refused before any
// handler runs, as on the mesh), and the handler's answer is serialized as a reply would be.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "lanchat/sdk/status.hpp"

namespace lanchat::fuzz {

using Method = std::function<void(std::string_view request_bytes)>;

// A method whose handler answers `Result<Reply> handler(const Request&)`.
template <class Request, class Handler>
Method method(Handler handler) {
    return [handler](std::string_view bytes) {
        Request request;
        if (!request.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return;
        auto answer = handler(request);
        if (answer.ok()) (void)answer->SerializeAsString();
    };
}

inline void call_one(const std::vector<Method>& methods, const uint8_t* data, size_t size) {
    if (size == 0) return;
    std::string_view request(reinterpret_cast<const char*>(data) + 1, size - 1);
    methods[data[0] % methods.size()](request);
}

}  // namespace lanchat::fuzz

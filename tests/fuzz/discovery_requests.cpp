// The Discovery service's handlers: any bytes as a Register (from a caller whose certificate names the node
// the request registers, so it gets past the identity check), ListNodes or Resolve request, or as the
// membership a reload hands the next instance. One service kept from input to input, on a clock the inputs
// move past the time-to-live. Whatever state an instance exports, the next one must take.
#include <cstdlib>
#include <string>

#include "discovery_service.hpp"
#include "service_request.hpp"

namespace {

using namespace lanchat::discovery;
using lanchat::sdk::Result;

struct Discovery {
    DiscoveryService service{std::chrono::milliseconds(15'000)};
    DiscoveryService::Clock::time_point now{std::chrono::seconds(1'700'000'000)};

    std::vector<lanchat::fuzz::Method> methods() {
        using lanchat::fuzz::method;
        return {
            method<v1::RegisterRequest>([this](auto& r) {
                return service.registered("spiffe://lan-chat.test/node/" + r.node().node_id(), r, now);
            }),
            method<v1::RegisterRequest>([this](auto& r) { return service.registered("spiffe://other", r, now); }),
            method<v1::ListNodesRequest>([this](auto&) { return Result<v1::ListNodesReply>(service.list_nodes(now)); }),
            method<v1::ResolveRequest>([this](auto& r) { return Result<v1::ResolveReply>(service.resolved(r, now)); }),
            [this](std::string_view state) { reload(std::string(state)); },
            [this](std::string_view) { now += std::chrono::seconds(10); },
        };
    }

    void reload(const std::string& state) {
        if (!service.import_state(state).ok()) return;
        DiscoveryService next(service.ttl());
        if (!next.import_state(service.export_state()).ok()) std::abort();
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static Discovery discovery;
    static const std::vector<lanchat::fuzz::Method> methods = discovery.methods();
    lanchat::fuzz::call_one(methods, data, size);
    return 0;
}

// The Presence service's handlers: any bytes as the request of Heartbeat, SetStatus, Disconnect or Get, or
// as the state a reload hands the next instance (import_state), on one service kept from input to input
// with a clock the inputs move, so devices come, expire and go. Whatever state an instance exports, the
// next one must take.
#include <cstdlib>
#include <memory>
#include <string>

#include "presence_service.hpp"
#include "service_request.hpp"

namespace {

using namespace lanchat::presence;

struct Presence {
    int64_t now = 1'700'000'000'000;
    PresenceService service{30'000, [this] { return now; },
                            [](const v1::PresenceInfo& info) { (void)info.SerializeAsString(); }};

    std::vector<lanchat::fuzz::Method> methods() {
        using lanchat::fuzz::method;
        PresenceService& s = service;
        return {
            method<v1::HeartbeatRequest>([&s](auto& r) { return s.heartbeat(r); }),
            method<v1::SetStatusRequest>([&s](auto& r) { return s.set_status(r); }),
            method<v1::DisconnectRequest>([&s](auto& r) { return s.disconnect(r); }),
            method<v1::GetRequest>([&s](auto& r) { return s.get(r); }),
            [this](std::string_view state) { reload(std::string(state)); },
            [this](std::string_view) {
                now += 10'000;
                service.expire();
            },
        };
    }

    void reload(const std::string& state) {
        if (!service.import_state(state).ok()) return;
        PresenceService next(
            30'000, [this] { return now; }, [](const v1::PresenceInfo&) {});
        if (!next.import_state(service.export_state()).ok()) std::abort();
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static Presence presence;
    static const std::vector<lanchat::fuzz::Method> methods = presence.methods();
    lanchat::fuzz::call_one(methods, data, size);
    return 0;
}

// Plugin: the base class of every lanchat plugin written with the C++ SDK.
#pragma once

#include <string>
#include <string_view>

#include "lanchat/sdk/drain.hpp"
#include "lanchat/sdk/host.hpp"
#include "lanchat/sdk/status.hpp"

namespace lanchat::sdk {

// Subclass it, take `Host&` in your constructor (read settings there; throw StatusError or return a failing
// Status from start() to refuse), override what you need, and export the class with LANCHAT_PLUGIN, which
// also declares its settings table (see settings.hpp).
//
// The host calls, one at a time and never concurrently:
//   constructor -> [import_state] -> start -> ... serving ... -> drain -> [export_state] -> stop -> destructor
// Exceptions thrown by any of them are caught by the SDK and reported to the host as a failure.
class Plugin {
public:
    explicit Plugin(Host& host) : host_(host) {}
    Plugin(const Plugin&) = delete;
    Plugin& operator=(const Plugin&) = delete;
    virtual ~Plugin() = default;

    // Begin serving: register handlers, start timers, open stores.
    virtual Status start() { return {}; }

    // Stop taking new work; signal `done` when what is in flight has finished (see Gate). The default has
    // nothing in flight and signals at once.
    virtual void drain(DrainSignal done) { done.done(); }

    // State for a successor instance on hot reload, and taking it over. Defaults: no state.
    virtual Result<std::string> export_state() { return std::string(); }
    virtual Status import_state(std::string_view /*state*/) { return {}; }

    // Release everything; no plugin code may run after this returns.
    virtual void stop() {}

protected:
    Host& host() const { return host_; }
    const Logger& log() const { return host_.log(); }
    const Config& config() const { return host_.config(); }
    const Settings& settings() const { return host_.settings(); }
    const Executor& executor() const { return host_.executor(); }

private:
    Host& host_;
};

}  // namespace lanchat::sdk

// Host: everything the host offers one plugin instance, as C++.
#pragma once

#include <string>
#include <string_view>

#include "lanchat/plugin_abi.h"
#include "lanchat/sdk/abi_version.hpp"
#include "lanchat/sdk/config.hpp"
#include "lanchat/sdk/executor.hpp"
#include "lanchat/sdk/logger.hpp"
#include "lanchat/sdk/settings.hpp"
#include "lanchat/sdk/sink.hpp"

namespace lanchat::sdk {

enum class Health {
    unknown = LANCHAT_HEALTH_UNKNOWN,
    serving = LANCHAT_HEALTH_SERVING,
    not_serving = LANCHAT_HEALTH_NOT_SERVING
};

// Handed to a plugin's constructor; lives as long as the plugin instance.
class Host {
public:
    // `settings` is the plugin's declared table (static data), empty when it declares none.
    Host(const lanchat_host_api* api, lanchat_host_context* ctx, std::span<const Setting> settings = {})
        : api_(api),
          ctx_(ctx),
          logger_(api, ctx),
          config_(api, ctx),
          settings_(config_, settings),
          executor_(api, ctx) {}
    Host(const Host&) = delete;
    Host& operator=(const Host&) = delete;

    const Logger& log() const { return logger_; }
    const Config& config() const { return config_; }
    const Settings& settings() const { return settings_; }
    const Executor& executor() const { return executor_; }

    // Reported to operators and, with the mesh, to gRPC health checks.
    void set_health(Health health, std::string_view reason = {}) const {
        api_->health->set(ctx_, static_cast<lanchat_health_status>(health), detail::to_abi(reason));
    }

    std::string_view node_name() const { return detail::from_abi(api_->node_name); }
    std::string_view host_version() const { return detail::from_abi(api_->host_version); }
    // The ABI the host implements, from its table: a plugin built against an older minor can see what else
    // the host offers. The same numbers the entry symbol was handed (sdk::host_abi_version()).
    AbiVersion host_abi_version() const { return {api_->abi_major, api_->abi_minor}; }

    // The raw C table, for features the C++ SDK does not wrap yet.
    const lanchat_host_api* abi() const { return api_; }
    lanchat_host_context* abi_context() const { return ctx_; }

private:
    const lanchat_host_api* api_;
    lanchat_host_context* ctx_;
    Logger logger_;
    Config config_;
    Settings settings_;  // reads through config_, so it is declared after it
    Executor executor_;
};

}  // namespace lanchat::sdk

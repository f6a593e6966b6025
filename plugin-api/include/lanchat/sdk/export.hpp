// LANCHAT_PLUGIN: exports a Plugin subclass through the C ABI. Use it once, in the plugin's plugin.cpp.
#pragma once

#include <exception>
#include <memory>
#include <new>
#include <span>
#include <string_view>

#include "lanchat/plugin_abi.h"
#include "lanchat/sdk/abi_version.hpp"
#include "lanchat/sdk/drain.hpp"
#include "lanchat/sdk/host.hpp"
#include "lanchat/sdk/plugin.hpp"
#include "lanchat/sdk/settings.hpp"
#include "lanchat/sdk/sink.hpp"
#include "lanchat/sdk/status.hpp"

namespace lanchat::sdk::detail {

// The settings table LANCHAT_PLUGIN was given: `rows` is NULL when the plugin declares none.
struct SettingsTable {
    const Setting* rows = nullptr;
    size_t count = 0;
    std::span<const Setting> span() const { return {rows, count}; }
};

inline constexpr Setting kNoRows[1] = {};  // where an empty table points: non-NULL says "declared"

constexpr SettingsTable declared_settings() { return {}; }
// Evaluated at compile time only: a table naming a key twice, or with a default outside its range, does not
// compile (each row's unused range is unbounded and its unused default zero, so one test fits every type).
template <size_t N>
consteval SettingsTable declared_settings(const Setting (&table)[N]) {
    for (size_t i = 0; i < N; ++i) {
        const Setting& row = table[i];
        if (row.integer_default < row.integer_min || row.integer_default > row.integer_max ||
            row.float_default < row.float_min || row.float_default > row.float_max) {
            throw "a setting's default is outside its range";
        }
        for (size_t j = 0; j < i; ++j) {
            if (from_abi(row.name) == from_abi(table[j].name)) throw "a settings table names a key twice";
        }
    }
    return {table, N};
}
constexpr SettingsTable declared_settings(NoSettings) { return {kNoRows, 0}; }

// What the host's lanchat_instance* really points to. Host comes first: the plugin holds a reference to it.
struct Instance {
    Instance(const lanchat_host_api* api, lanchat_host_context* ctx, std::span<const Setting> settings)
        : host(api, ctx, settings) {}
    Host host;
    std::unique_ptr<Plugin> plugin;
};

inline Instance* as_instance(lanchat_instance* instance) { return reinterpret_cast<Instance*>(instance); }

inline lanchat_status_code report(const Status& status, lanchat_sink* error) {
    if (!status.ok()) write_to(error, status.message());
    return static_cast<lanchat_status_code>(status.code());
}

// Runs `body` (which returns a Status) and converts any exception into a failed status.
template <class Body>
lanchat_status_code guarded(lanchat_sink* error, std::string_view what, Body&& body) noexcept {
    try {
        return report(body(), error);
    } catch (const StatusError& e) {
        return report(e.status(), error);
    } catch (const std::bad_alloc&) {
        return report({Code::resource_exhausted, std::string(what) + ": out of memory"}, error);
    } catch (const std::exception& e) {
        return report({Code::internal, std::string(what) + " threw: " + e.what()}, error);
    } catch (...) {
        return report({Code::internal, std::string(what) + " threw a non-standard exception"}, error);
    }
}

// For lifecycle steps that cannot fail: an exception is logged, never propagated.
template <class Body>
void logged(Instance* instance, std::string_view what, Body&& body) noexcept {
    try {
        body();
    } catch (const std::exception& e) {
        instance->host.log().error(std::string(what) + " threw an exception", {{"what", e.what()}});
    } catch (...) {
        instance->host.log().error(std::string(what) + " threw a non-standard exception");
    }
}

template <class PluginClass, const SettingsTable* Declared>
struct Trampolines {
    static lanchat_status_code create(const lanchat_host_api* api, lanchat_host_context* ctx, lanchat_instance** out,
                                      lanchat_sink* error) noexcept {
        *out = nullptr;
        return guarded(error, "plugin constructor", [&] {
            auto instance = std::make_unique<Instance>(api, ctx, Declared->span());
            if (Declared->rows != nullptr) {
                if (Status checked = instance->host.settings().check(); !checked.ok()) return checked;
            }
            instance->plugin = std::make_unique<PluginClass>(instance->host);
            *out = reinterpret_cast<lanchat_instance*>(instance.release());
            return Status{};
        });
    }
    static lanchat_status_code import_state(lanchat_instance* instance, lanchat_bytes state,
                                            lanchat_sink* error) noexcept {
        return guarded(error, "import_state", [&] {
            std::string_view bytes(reinterpret_cast<const char*>(state.data), state.size);
            return as_instance(instance)->plugin->import_state(bytes);
        });
    }
    static lanchat_status_code start(lanchat_instance* instance, lanchat_sink* error) noexcept {
        return guarded(error, "start", [&] { return as_instance(instance)->plugin->start(); });
    }
    static void drain(lanchat_instance* instance, const lanchat_drain_request* request) noexcept {
        logged(as_instance(instance), "drain", [&] { as_instance(instance)->plugin->drain(DrainSignal(request)); });
    }
    static lanchat_status_code export_state(lanchat_instance* instance, lanchat_sink* state_out,
                                            lanchat_sink* error) noexcept {
        return guarded(error, "export_state", [&] {
            Result<std::string> state = as_instance(instance)->plugin->export_state();
            if (state.ok()) write_to(state_out, *state);
            return state.status();
        });
    }
    static void stop(lanchat_instance* instance) noexcept {
        logged(as_instance(instance), "stop", [&] { as_instance(instance)->plugin->stop(); });
    }
    static void destroy(lanchat_instance* instance) noexcept {
        Instance* owned = as_instance(instance);
        logged(owned, "destructor", [&] { owned->plugin.reset(); });
        delete owned;
    }
};

template <class PluginClass, const SettingsTable* Declared>
constexpr lanchat_plugin_vtable vtable_for() {
    static_assert(std::is_base_of_v<Plugin, PluginClass>, "LANCHAT_PLUGIN needs a subclass of lanchat::sdk::Plugin");
    using T = Trampolines<PluginClass, Declared>;
    return {sizeof(lanchat_plugin_vtable),
            &T::create,
            &T::import_state,
            &T::start,
            &T::drain,
            &T::export_state,
            &T::stop,
            &T::destroy};
}

}  // namespace lanchat::sdk::detail

// Exports `PluginClass` (a lanchat::sdk::Plugin subclass with a `PluginClass(lanchat::sdk::Host&)`
// constructor) as plugin `name_literal`, version `version_literal`, with its settings table: a static
// `lanchat::sdk::Setting` array, or `lanchat::sdk::no_settings` when it reads no config. Without a table the
// plugin reads its config itself and the host can check it only at create. Use once per plugin library.
#define LANCHAT_PLUGIN(PluginClass, name_literal, version_literal, ...)                                               \
    namespace {                                                                                                       \
    constexpr ::lanchat::sdk::detail::SettingsTable lanchat_sdk_settings =                                            \
        ::lanchat::sdk::detail::declared_settings(__VA_ARGS__);                                                       \
    constexpr lanchat_plugin_vtable lanchat_sdk_vtable =                                                              \
        ::lanchat::sdk::detail::vtable_for<PluginClass, &lanchat_sdk_settings>();                                     \
    constexpr lanchat_plugin_descriptor lanchat_sdk_descriptor = {sizeof(lanchat_plugin_descriptor),                  \
                                                                  LANCHAT_ABI_MAJOR,                                  \
                                                                  LANCHAT_ABI_MINOR,                                  \
                                                                  {name_literal, sizeof(name_literal) - 1},           \
                                                                  {version_literal, sizeof(version_literal) - 1},     \
                                                                  &lanchat_sdk_vtable,                                \
                                                                  lanchat_sdk_settings.rows,                          \
                                                                  lanchat_sdk_settings.count};                        \
    }                                                                                                                 \
    extern "C" LANCHAT_PLUGIN_EXPORT const lanchat_plugin_descriptor* lanchat_plugin_entry(uint16_t host_abi_major,   \
                                                                                           uint16_t host_abi_minor) { \
        ::lanchat::sdk::detail::record_host_abi(host_abi_major, host_abi_minor);                                      \
        return &lanchat_sdk_descriptor;                                                                               \
    }

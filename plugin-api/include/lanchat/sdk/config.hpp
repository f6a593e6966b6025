// Config: typed, read-only access to the plugin's `[plugin.config]` table from the node file.
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "lanchat/plugin_abi.h"
#include "lanchat/sdk/sink.hpp"
#include "lanchat/sdk/status.hpp"

namespace lanchat::sdk {

// Reads values by path (`key`, `table.key`, `list[2]`). Every error names the key, where it is in the node
// file, what was expected and what was found. Valid while the plugin instance lives.
class Config {
public:
    Config(const lanchat_host_api* host, lanchat_host_context* ctx) : host_(host), ctx_(ctx) {}

    bool has(std::string_view path) const { return lookup(path).kind != LANCHAT_CONFIG_MISSING; }

    // The value at `path` as T: std::string, bool, double, any integer type (range-checked),
    // std::chrono::milliseconds (an integer number of milliseconds) or std::vector<std::string>.
    template <class T>
    Result<T> get(std::string_view path) const {
        lanchat_config_value value = lookup(path);
        if (value.kind == LANCHAT_CONFIG_MISSING) {
            return Status(Code::invalid_argument, "missing config key '" + std::string(path) + "' in " + where(path));
        }
        return convert<T>(path, value);
    }

    // Like get(), but a missing key yields `fallback`; a value of the wrong type is still an error.
    template <class T>
    Result<T> get_or(std::string_view path, T fallback) const {
        if (!has(path)) return fallback;
        return get<T>(path);
    }

    // Throwing forms, for constructors: the SDK turns the exception into a failed create.
    template <class T>
    T require(std::string_view path) const {
        return value_or_throw(get<T>(path));
    }
    template <class T>
    T value_or(std::string_view path, T fallback) const {
        return value_or_throw(get_or<T>(path, std::move(fallback)));
    }

    // The keys of the table at `path` (the whole config table when empty).
    std::vector<std::string> keys(std::string_view path = {}) const {
        std::vector<std::string> result;
        for (size_t index = 0;; ++index) {
            StringSink key;
            if (host_->config->key_at(ctx_, detail::to_abi(path), index, key.get()) == 0) break;
            result.push_back(std::move(key.text()));
        }
        return result;
    }

    // Refuses keys of the table at `path` that are not in `known`, so a typo never passes silently.
    Status allow_only(std::initializer_list<std::string_view> known, std::string_view path = {}) const {
        return allow_only(std::span<const std::string_view>(known.begin(), known.size()), path);
    }
    Status allow_only(std::span<const std::string_view> known, std::string_view path = {}) const {
        for (const std::string& key : keys(path)) {
            bool found = false;
            for (std::string_view candidate : known) found = found || candidate == key;
            if (!found) {
                std::string full = path.empty() ? key : std::string(path) + "." + key;
                std::string list;
                for (std::string_view candidate : known) list += (list.empty() ? "" : ", ") + std::string(candidate);
                return invalid_argument("unknown config key '" + full + "' at " + where(full) +
                                        (list.empty() ? " (it takes no keys)" : " (known keys: " + list + ")"));
            }
        }
        return {};
    }

    // "file:line:column" of the value at `path`, for messages about it.
    std::string where(std::string_view path) const {
        StringSink out;
        host_->config->where(ctx_, detail::to_abi(path), out.get());
        return std::move(out.text());
    }

    // A directory for this plugin's files (created by the host, used by no other plugin).
    std::string data_dir() const {
        StringSink out;
        host_->config->data_dir(ctx_, out.get());
        return std::move(out.text());
    }

private:
    lanchat_config_value lookup(std::string_view path) const {
        lanchat_config_value value{};
        value.struct_size = sizeof(value);
        host_->config->get(ctx_, detail::to_abi(path), &value);
        return value;
    }

    static const char* kind_name(lanchat_config_kind kind) {
        switch (kind) {
            case LANCHAT_CONFIG_STRING: return "a string";
            case LANCHAT_CONFIG_INTEGER: return "an integer";
            case LANCHAT_CONFIG_FLOAT: return "a float";
            case LANCHAT_CONFIG_BOOL: return "a boolean";
            case LANCHAT_CONFIG_ARRAY: return "an array";
            case LANCHAT_CONFIG_TABLE: return "a table";
            case LANCHAT_CONFIG_MISSING: return "nothing";
            default: return "a date or time";
        }
    }

    Status wrong_type(std::string_view path, const char* expected, lanchat_config_kind found) const {
        return invalid_argument("config key '" + std::string(path) + "' at " + where(path) + ": expected " + expected +
                                ", found " + kind_name(found));
    }

    template <class T>
    Result<T> convert(std::string_view path, const lanchat_config_value& value) const {
        if constexpr (std::is_same_v<T, std::string>) {
            if (value.kind != LANCHAT_CONFIG_STRING) return wrong_type(path, "a string", value.kind);
            return std::string(detail::from_abi(value.string_value));
        } else if constexpr (std::is_same_v<T, bool>) {
            if (value.kind != LANCHAT_CONFIG_BOOL) return wrong_type(path, "a boolean", value.kind);
            return value.bool_value != 0;
        } else if constexpr (std::is_floating_point_v<T>) {
            if (value.kind == LANCHAT_CONFIG_INTEGER) return static_cast<T>(value.integer_value);
            if (value.kind != LANCHAT_CONFIG_FLOAT) return wrong_type(path, "a number", value.kind);
            return static_cast<T>(value.float_value);
        } else if constexpr (std::is_integral_v<T>) {
            if (value.kind != LANCHAT_CONFIG_INTEGER) return wrong_type(path, "an integer", value.kind);
            return in_range<T>(path, value.integer_value);
        } else if constexpr (std::is_same_v<T, std::chrono::milliseconds>) {
            if (value.kind != LANCHAT_CONFIG_INTEGER) {
                return wrong_type(path, "an integer number of milliseconds", value.kind);
            }
            if (value.integer_value < 0) {
                return invalid_argument("config key '" + std::string(path) + "' at " + where(path) +
                                        ": a duration must not be negative, found " +
                                        std::to_string(value.integer_value));
            }
            return std::chrono::milliseconds(value.integer_value);
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
            if (value.kind != LANCHAT_CONFIG_ARRAY) return wrong_type(path, "an array of strings", value.kind);
            std::vector<std::string> items;
            for (size_t i = 0; i < value.element_count; ++i) {
                Result<std::string> item = get<std::string>(std::string(path) + "[" + std::to_string(i) + "]");
                if (!item.ok()) return item.status();
                items.push_back(std::move(item).value());
            }
            return items;
        } else {
            static_assert(sizeof(T) == 0,
                          "Config::get supports strings, booleans, numbers, "
                          "std::chrono::milliseconds and std::vector<std::string>");
        }
    }

    template <class T>
    Result<T> in_range(std::string_view path, int64_t number) const {
        bool fits = true;
        if constexpr (std::is_unsigned_v<T>) {
            fits = number >= 0 && static_cast<uint64_t>(number) <= std::numeric_limits<T>::max();
        } else {
            fits = number >= std::numeric_limits<T>::min() && number <= std::numeric_limits<T>::max();
        }
        if (!fits) {
            return invalid_argument("config key '" + std::string(path) + "' at " + where(path) + ": " +
                                    std::to_string(number) + " is out of range (" +
                                    std::to_string(std::numeric_limits<T>::min()) + " to " +
                                    std::to_string(std::numeric_limits<T>::max()) + ")");
        }
        return static_cast<T>(number);
    }

    const lanchat_host_api* host_;
    lanchat_host_context* ctx_;
};

}  // namespace lanchat::sdk

// Settings: a plugin's `[plugin.config]` declared once, as a table, and read through it.
//
//   constexpr lanchat::sdk::Setting kSettings[] = {
//       lanchat::sdk::setting::integer("max_body_bytes", 4000, 1, 1048576, "the largest message body accepted"),
//       lanchat::sdk::setting::milliseconds("ttl_ms", 15000, 1, lanchat::sdk::setting::kNoLimit, "..."),
//   };
//   LANCHAT_PLUGIN(MyPlugin, "mine", "1.0.0", kSettings)
//
// The table travels in the plugin's descriptor (ABI 1.4), so `lanchatd --describe` prints it and
// `lanchatd --check` checks a node file against it; the SDK checks it again before the plugin's constructor
// runs, and the constructor reads values with settings().get<T>(name).
#pragma once

#include <chrono>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "lanchat/plugin_abi.h"
#include "lanchat/sdk/config.hpp"
#include "lanchat/sdk/sink.hpp"
#include "lanchat/sdk/status.hpp"

namespace lanchat::sdk {

// One row of a settings table: the C struct itself, so the table is the array the descriptor points to.
using Setting = lanchat_setting;

// For LANCHAT_PLUGIN: the plugin reads no config, so any key in its [plugin.config] is an error.
struct NoSettings {};
inline constexpr NoSettings no_settings{};

// Builds rows; every argument must be a literal or other static data (the row points to it).
namespace setting {

inline constexpr int64_t kNoLimit = std::numeric_limits<int64_t>::max();  // as `max`: no upper bound

constexpr lanchat_str text(std::string_view value) { return {value.data(), value.size()}; }

constexpr Setting row(lanchat_setting_type type, std::string_view name, std::string_view doc) {
    Setting made{};
    made.struct_size = sizeof(Setting);
    made.type = type;
    made.name = text(name);
    made.doc = text(doc);
    made.integer_min = std::numeric_limits<int64_t>::min();
    made.integer_max = std::numeric_limits<int64_t>::max();
    made.float_min = -std::numeric_limits<double>::infinity();
    made.float_max = std::numeric_limits<double>::infinity();
    return made;
}

constexpr Setting integer(std::string_view name, int64_t fallback, int64_t min, int64_t max, std::string_view doc) {
    Setting made = row(LANCHAT_SETTING_INTEGER, name, doc);
    made.integer_default = fallback;
    made.integer_min = min;
    made.integer_max = max;
    return made;
}

constexpr Setting number(std::string_view name, double fallback, double min, double max, std::string_view doc) {
    Setting made = row(LANCHAT_SETTING_FLOAT, name, doc);
    made.float_default = fallback;
    made.float_min = min;
    made.float_max = max;
    return made;
}

// A duration written as an integer number of milliseconds; never negative.
constexpr Setting milliseconds(std::string_view name, int64_t fallback, int64_t min, int64_t max,
                               std::string_view doc) {
    Setting made = integer(name, fallback, min < 0 ? 0 : min, max, doc);
    made.type = LANCHAT_SETTING_MILLISECONDS;
    return made;
}

constexpr Setting string(std::string_view name, std::string_view fallback, std::string_view doc) {
    Setting made = row(LANCHAT_SETTING_STRING, name, doc);
    made.string_default = text(fallback);
    return made;
}

constexpr Setting boolean(std::string_view name, bool fallback, std::string_view doc) {
    Setting made = row(LANCHAT_SETTING_BOOL, name, doc);
    made.integer_default = fallback ? 1 : 0;
    return made;
}

// A list of strings; its default is empty.
constexpr Setting string_list(std::string_view name, std::string_view doc) {
    return row(LANCHAT_SETTING_STRING_LIST, name, doc);
}

}  // namespace setting

// Reads a plugin's config through its table. check() refuses unknown keys, wrong types and values out of
// range, naming the key and its file:line:column; get() answers the configured value or the default.
// Holds a reference to `config` and a view of `table`: both must outlive it.
class Settings {
public:
    Settings(const Config& config, std::span<const Setting> table) : config_(config), table_(table) {}

    // The first problem of the config against the table, or OK.
    Status check() const {
        std::vector<std::string_view> known;
        for (const Setting& row : table_) known.push_back(detail::from_abi(row.name));
        if (Status unknown = config_.allow_only(known); !unknown.ok()) return unknown;
        for (const Setting& row : table_) {
            if (Status valid = check_value(row); !valid.ok()) return valid;
        }
        return {};
    }

    // The value of setting `name` as T (the types Config::get reads); `name` must be a row of the table.
    // Throws StatusError when the config does not pass check(), which the SDK has already run at create.
    template <class T>
    T get(std::string_view name) const {
        const Setting& row = find(name);
        if (config_.has(name)) return config_.require<T>(name);
        return fallback<T>(row);
    }

    // "between 1 and 100", "at least 100", "at most 5", or "" when the row has no bounds.
    static std::string range_text(const Setting& row) {
        const bool is_float = row.type == LANCHAT_SETTING_FLOAT;
        const bool has_min =
            is_float ? row.float_min > -std::numeric_limits<double>::infinity()
                     : row.integer_min >
                           (row.type == LANCHAT_SETTING_MILLISECONDS ? 0 : std::numeric_limits<int64_t>::min());
        const bool has_max = is_float ? row.float_max < std::numeric_limits<double>::infinity()
                                      : row.integer_max < std::numeric_limits<int64_t>::max();
        std::string min = is_float ? number_text(row.float_min) : std::to_string(row.integer_min);
        std::string max = is_float ? number_text(row.float_max) : std::to_string(row.integer_max);
        if (has_min && has_max) return "between " + min + " and " + max;
        if (has_min) return "at least " + min;
        if (has_max) return "at most " + max;
        return "";
    }

    // A float as a person writes it: 0.1, 20, 1e+06.
    static std::string number_text(double value) {
        std::string text = std::to_string(value);
        if (text.find('.') != std::string::npos) {
            text.erase(text.find_last_not_of('0') + 1);
            if (text.back() == '.') text.pop_back();
        }
        return text;
    }

private:
    const Setting& find(std::string_view name) const {
        for (const Setting& row : table_) {
            if (detail::from_abi(row.name) == name) return row;
        }
        throw StatusError(internal_error("setting '" + std::string(name) + "' is not in the plugin's settings table"));
    }

    template <class T>
    static T fallback(const Setting& row) {
        if constexpr (std::is_same_v<T, std::string>) {
            return std::string(detail::from_abi(row.string_default));
        } else if constexpr (std::is_same_v<T, bool>) {
            return row.integer_default != 0;
        } else if constexpr (std::is_floating_point_v<T>) {
            return static_cast<T>(row.type == LANCHAT_SETTING_FLOAT ? row.float_default
                                                                    : static_cast<double>(row.integer_default));
        } else if constexpr (std::is_integral_v<T>) {
            return static_cast<T>(row.integer_default);
        } else if constexpr (std::is_same_v<T, std::chrono::milliseconds>) {
            return std::chrono::milliseconds(row.integer_default);
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
            std::vector<std::string> items;
            for (size_t i = 0; i < row.list_default_count; ++i) {
                items.emplace_back(detail::from_abi(row.list_default[i]));
            }
            return items;
        } else {
            static_assert(sizeof(T) == 0, "Settings::get supports the types Config::get reads");
        }
    }

    Status check_value(const Setting& row) const {
        std::string_view name = detail::from_abi(row.name);
        if (!config_.has(name)) return {};
        switch (row.type) {
            case LANCHAT_SETTING_INTEGER: return in_range(row, config_.get<int64_t>(name));
            case LANCHAT_SETTING_MILLISECONDS: {
                Result<std::chrono::milliseconds> value = config_.get<std::chrono::milliseconds>(name);
                if (!value.ok()) return value.status();
                return in_range(row, value->count());
            }
            case LANCHAT_SETTING_FLOAT: return in_range(row, config_.get<double>(name));
            case LANCHAT_SETTING_STRING: return config_.get<std::string>(name).status();
            case LANCHAT_SETTING_BOOL: return config_.get<bool>(name).status();
            case LANCHAT_SETTING_STRING_LIST: return config_.get<std::vector<std::string>>(name).status();
            case LANCHAT_SETTING_TYPE_MAX_ENUM: break;
        }
        return internal_error("setting '" + std::string(name) + "' has an unknown type");
    }

    template <class Number>
    Status in_range(const Setting& row, const Result<Number>& value) const {
        if (!value.ok()) return value.status();
        return in_range(row, *value);
    }

    Status in_range(const Setting& row, int64_t value) const {
        if (value >= row.integer_min && value <= row.integer_max) return {};
        return out_of_range(row, range_text(row), std::to_string(value));
    }

    Status in_range(const Setting& row, double value) const {
        if (value >= row.float_min && value <= row.float_max) return {};
        return out_of_range(row, range_text(row), number_text(value));
    }

    Status out_of_range(const Setting& row, const std::string& range, const std::string& found) const {
        std::string name(detail::from_abi(row.name));
        return invalid_argument("config key '" + name + "' at " + config_.where(name) + ": must be " + range +
                                ", found " + found);
    }

    const Config& config_;
    std::span<const Setting> table_;
};

}  // namespace lanchat::sdk

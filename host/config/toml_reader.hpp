// Reading the node file: positions in every error, unknown keys refused, typed values. Used by config/*.cpp only.
#pragma once

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/toml_tree.hpp"

namespace lanchat::host::node_file {

// Thrown while the node file is read, turned into a Status at load_node_config's boundary.
struct ConfigError {
    std::string message;
};

// One node file's values: each failure throws ConfigError naming file:line:column, the key and what is wrong.
class Reader {
public:
    explicit Reader(std::filesystem::path file) : file_(std::move(file)), name_(file_.string()) {}

    std::string at(const toml::source_region& where) const {
        if (!where.begin) return name_;
        return name_ + ":" + std::to_string(where.begin.line) + ":" + std::to_string(where.begin.column);
    }
    std::string at(const toml::node& node) const { return at(node.source()); }

    [[noreturn]] void fail(const toml::node& node, const std::string& message) const {
        throw ConfigError{at(node) + ": " + message};
    }

    // Refuses keys the schema does not know, naming the ones it does.
    void only_known_keys(const toml::table& table, std::string_view table_name,
                         std::initializer_list<std::string_view> known) const {
        for (const auto& [key, value] : table) {
            if (std::find(known.begin(), known.end(), key.str()) != known.end()) continue;
            std::string list;
            for (std::string_view name : known) list += (list.empty() ? "" : ", ") + std::string(name);
            throw ConfigError{at(key.source()) + ": unknown key '" + std::string(key.str()) + "' in " +
                              std::string(table_name) + " (known keys: " + list + ")"};
        }
    }

    template <class T>
    std::optional<T> optional(const toml::table& table, std::string_view key, std::string_view table_name,
                              const char* type_name) const {
        const toml::node* node = table.get(key);
        if (node == nullptr) return std::nullopt;
        std::optional<T> value = node->value_exact<T>();
        if (!value) {
            fail(*node, "key '" + std::string(key) + "' in " + std::string(table_name) + " must be " + type_name +
                            ", found " + type_description(*node));
        }
        return value;
    }

    template <class T>
    T required(const toml::table& table, std::string_view key, std::string_view table_name,
               const char* type_name) const {
        std::optional<T> value = optional<T>(table, key, table_name, type_name);
        if (!value) {
            throw ConfigError{at(table) + ": " + std::string(table_name) + " is missing the required key '" +
                              std::string(key) + "'"};
        }
        return *value;
    }

    const std::filesystem::path& file() const { return file_; }
    const std::string& name() const { return name_; }

    static std::string type_description(const toml::node& node) {
        switch (node.type()) {
            case toml::node_type::string: return "a string";
            case toml::node_type::integer: return "an integer";
            case toml::node_type::floating_point: return "a float";
            case toml::node_type::boolean: return "a boolean";
            case toml::node_type::array: return "an array";
            case toml::node_type::table: return "a table";
            default: return "a date or time";
        }
    }

private:
    std::filesystem::path file_;
    std::string name_;
};

// A "host:port" setting's port: digits only, 0 to 65535 (gRPC would otherwise listen on it modulo 65536).
inline void check_port(const Reader& reader, const toml::node& node, const std::string& setting,
                       const std::string& address) {
    std::string_view port = std::string_view(address).substr(address.rfind(':') + 1);
    unsigned value = 0;
    auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || error != std::errc{} || end != port.data() + port.size() || value > 65535) {
        reader.fail(node, setting + " must end in a port from 0 to 65535, found \"" + address + "\"");
    }
}

inline std::vector<std::string> string_list(const Reader& reader, const toml::node& node, const std::string& what) {
    const toml::array* array = node.as_array();
    if (array == nullptr)
        reader.fail(node, what + " must be an array of strings, found " + Reader::type_description(node));
    std::vector<std::string> items;
    for (const toml::node& item : *array) {
        if (!item.is_string())
            reader.fail(item, what + " must hold only strings, found " + Reader::type_description(item));
        items.push_back(item.as_string()->get());
    }
    return items;
}

}  // namespace lanchat::host::node_file

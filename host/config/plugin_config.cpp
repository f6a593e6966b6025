#include "config/plugin_config.hpp"

#include <charconv>

#include "config/toml_tree.hpp"

namespace lanchat::host {
namespace {

// Walks `path` from `root`; nullptr when any step is missing or malformed.
const toml::node* find(const PluginConfig::Tree& tree, std::string_view path) {
    static const toml::table empty_table;
    const toml::node* current = tree.table != nullptr ? tree.table : &empty_table;
    size_t position = 0;
    while (position < path.size() && current != nullptr) {
        if (path[position] == '.' && ++position == path.size()) return nullptr;
        if (path[position] == '[') {
            size_t close = path.find(']', position);
            if (close == std::string_view::npos) return nullptr;
            size_t index = 0;
            auto [end, error] = std::from_chars(path.data() + position + 1, path.data() + close, index);
            if (error != std::errc{} || end != path.data() + close || !current->is_array()) return nullptr;
            current = current->as_array()->get(index);
            position = close + 1;
            continue;
        }
        size_t end = path.find_first_of(".[", position);
        if (end == std::string_view::npos) end = path.size();
        if (!current->is_table() || end == position) return nullptr;
        current = current->as_table()->get(path.substr(position, end - position));
        position = end;
    }
    return current;
}

}  // namespace

PluginConfig::PluginConfig(std::string file, std::shared_ptr<const Tree> tree)
    : file_(std::move(file)), tree_(std::move(tree)) {}

PluginConfig::~PluginConfig() = default;

PluginConfig PluginConfig::empty(std::string file) { return PluginConfig(std::move(file), std::make_shared<Tree>()); }

lanchat_config_value PluginConfig::get(std::string_view path) const {
    lanchat_config_value value{};
    value.struct_size = sizeof(value);
    const toml::node* node = find(*tree_, path);
    if (node == nullptr) return value;
    switch (node->type()) {
        case toml::node_type::string: {
            const std::string& text = node->as_string()->get();
            value.kind = LANCHAT_CONFIG_STRING;
            value.string_value = {text.data(), text.size()};
            break;
        }
        case toml::node_type::integer:
            value.kind = LANCHAT_CONFIG_INTEGER;
            value.integer_value = node->as_integer()->get();
            break;
        case toml::node_type::floating_point:
            value.kind = LANCHAT_CONFIG_FLOAT;
            value.float_value = node->as_floating_point()->get();
            break;
        case toml::node_type::boolean:
            value.kind = LANCHAT_CONFIG_BOOL;
            value.bool_value = node->as_boolean()->get() ? 1 : 0;
            break;
        case toml::node_type::array:
            value.kind = LANCHAT_CONFIG_ARRAY;
            value.element_count = node->as_array()->size();
            break;
        case toml::node_type::table:
            value.kind = LANCHAT_CONFIG_TABLE;
            value.element_count = node->as_table()->size();
            break;
        default: value.kind = LANCHAT_CONFIG_OTHER;
    }
    return value;
}

std::optional<std::string> PluginConfig::key_at(std::string_view path, size_t index) const {
    const toml::node* node = find(*tree_, path);
    if (node == nullptr || !node->is_table()) return std::nullopt;
    const toml::table& table = *node->as_table();
    if (index >= table.size()) return std::nullopt;
    auto entry = table.begin();
    std::advance(entry, static_cast<std::ptrdiff_t>(index));
    return std::string(entry->first.str());
}

bool PluginConfig::same_values(const PluginConfig& other) const {
    static const toml::table empty_table;
    const toml::table& mine = tree_->table != nullptr ? *tree_->table : empty_table;
    const toml::table& theirs = other.tree_->table != nullptr ? *other.tree_->table : empty_table;
    return mine == theirs;
}

std::string PluginConfig::where(std::string_view path) const {
    const toml::node* node = find(*tree_, path);
    if (node == nullptr || !node->source().begin) return file_;
    return file_ + ":" + std::to_string(node->source().begin.line) + ":" + std::to_string(node->source().begin.column);
}

}  // namespace lanchat::host

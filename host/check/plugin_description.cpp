#include "check/plugin_description.hpp"

#include <sstream>

#include "lanchat/sdk/settings.hpp"

namespace lanchat::host {
namespace {

std::string_view view(lanchat_str text) {
    return text.size == 0 ? std::string_view{} : std::string_view{text.data, text.size};
}

std::string quoted(std::string_view text) { return "\"" + std::string(text) + "\""; }

// The default as it would be written in the node file.
std::string default_text(const lanchat_setting& row) {
    switch (row.type) {
        case LANCHAT_SETTING_INTEGER:
        case LANCHAT_SETTING_MILLISECONDS: return std::to_string(row.integer_default);
        case LANCHAT_SETTING_FLOAT: return sdk::Settings::number_text(row.float_default);
        case LANCHAT_SETTING_STRING: return quoted(view(row.string_default));
        case LANCHAT_SETTING_BOOL: return row.integer_default != 0 ? "true" : "false";
        case LANCHAT_SETTING_STRING_LIST: {
            std::string list;
            for (size_t i = 0; i < row.list_default_count; ++i) {
                list += (i == 0 ? "" : ", ") + quoted(view(row.list_default[i]));
            }
            return "[" + list + "]";
        }
        case LANCHAT_SETTING_TYPE_MAX_ENUM: break;
    }
    return "";
}

}  // namespace

std::string describe_plugin(const PluginLibrary& library) {
    std::ostringstream out;
    out << library.name() << " " << library.version() << " (plugin ABI " << library.abi().text() << ", "
        << library.path().string() << ")\n";
    const DeclaredSettings& settings = library.settings();
    if (!settings) {
        out << "It declares no settings table: its [plugin.config] is checked only when it starts.\n";
        return out.str();
    }
    if (settings->empty()) {
        out << "It reads no settings: its [plugin.config] must be empty.\n";
        return out.str();
    }
    out << "Settings in its [plugin.config]:\n";
    for (const lanchat_setting& row : *settings) {
        std::string range = sdk::Settings::range_text(row);
        out << "  " << view(row.name) << " (" << setting_type_name(row.type) << ", default " << default_text(row)
            << (range.empty() ? "" : ", " + range) << ")\n      " << view(row.doc) << "\n";
    }
    return out.str();
}

}  // namespace lanchat::host

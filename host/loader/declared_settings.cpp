#include "loader/declared_settings.hpp"

#include <algorithm>
#include <cstring>
#include <string_view>

namespace lanchat::host {
namespace {

constexpr size_t kSettingV1_4 = offsetof(lanchat_setting, list_default_count) + sizeof(size_t);

bool known_type(lanchat_setting_type type) {
    return type >= LANCHAT_SETTING_INTEGER && type <= LANCHAT_SETTING_STRING_LIST;
}

std::string_view name_of(const lanchat_setting& row) { return {row.name.data, row.name.size}; }

// `which` names the row in messages.
sdk::Status check_row(const lanchat_setting& row, const std::vector<lanchat_setting>& before,
                      const std::string& which) {
    if (row.name.size == 0 || row.name.data == nullptr) return sdk::invalid_argument(which + " has no name");
    if (!known_type(row.type)) {
        return sdk::invalid_argument(which + " has type " + std::to_string(row.type) +
                                     ", which this host does not know; upgrade lanchatd");
    }
    for (const lanchat_setting& earlier : before) {
        if (name_of(earlier) == name_of(row)) {
            return sdk::invalid_argument(which + " declares '" + std::string(name_of(row)) + "' a second time");
        }
    }
    return {};
}

}  // namespace

sdk::Result<DeclaredSettings> read_declared_settings(const lanchat_plugin_descriptor& descriptor,
                                                     const std::string& file) {
    if (!LANCHAT_HAS_FIELD(&descriptor, lanchat_plugin_descriptor, setting_count) || descriptor.settings == nullptr) {
        return DeclaredSettings{};
    }
    // Rows are settings[0].struct_size bytes apart: a later minor may have appended fields to each.
    const uint32_t stride = descriptor.setting_count == 0 ? 0 : descriptor.settings[0].struct_size;
    const std::string table = file + ": its settings table has rows of " + std::to_string(stride) + " bytes, ";
    if (descriptor.setting_count > 0 && stride < kSettingV1_4) {
        return sdk::invalid_argument(table + "smaller than ABI 1.4's " + std::to_string(kSettingV1_4));
    }
    if (stride % alignof(lanchat_setting) != 0) {
        return sdk::invalid_argument(table + "not a multiple of " + std::to_string(alignof(lanchat_setting)));
    }
    std::vector<lanchat_setting> rows;
    const auto* bytes = reinterpret_cast<const unsigned char*>(descriptor.settings);
    for (size_t index = 0; index < descriptor.setting_count; ++index) {
        const auto* row = reinterpret_cast<const lanchat_setting*>(bytes + index * stride);
        const std::string which = file + ": setting " + std::to_string(index + 1) + " of its settings table";
        if (row->struct_size != stride) return sdk::invalid_argument(which + " differs in size from the first");
        lanchat_setting copy{};
        std::memcpy(&copy, row, std::min<size_t>(stride, sizeof copy));
        if (sdk::Status valid = check_row(copy, rows, which); !valid.ok()) return valid;
        rows.push_back(copy);
    }
    return DeclaredSettings{std::move(rows)};
}

const char* setting_type_name(lanchat_setting_type type) {
    switch (type) {
        case LANCHAT_SETTING_INTEGER: return "integer";
        case LANCHAT_SETTING_FLOAT: return "number";
        case LANCHAT_SETTING_STRING: return "string";
        case LANCHAT_SETTING_BOOL: return "boolean";
        case LANCHAT_SETTING_MILLISECONDS: return "milliseconds";
        case LANCHAT_SETTING_STRING_LIST: return "list of strings";
        case LANCHAT_SETTING_TYPE_MAX_ENUM: break;
    }
    return "unknown";
}

}  // namespace lanchat::host

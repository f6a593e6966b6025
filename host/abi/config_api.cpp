// lanchat_config_api: the plugin's own [plugin.config] table, read-only, and its data directory.
#include <algorithm>
#include <cstring>
#include <optional>
#include <string>

#include "abi/sink.hpp"
#include "abi/slice.hpp"
#include "abi/tables.hpp"
#include "runtime/host_context.hpp"

namespace lanchat::host::abi {
namespace {

void config_get(lanchat_host_context* ctx, lanchat_str path, lanchat_config_value* out) {
    if (out == nullptr) return;
    // A plugin built against an older minor may pass a shorter struct: fill only what it has room for.
    lanchat_config_value value = ctx->config->get(view(path));
    uint32_t room = out->struct_size;
    std::memcpy(out, &value, std::min<size_t>(room, sizeof value));
    out->struct_size = room;
}

lanchat_bool config_key_at(lanchat_host_context* ctx, lanchat_str path, size_t index, lanchat_sink* key_out) {
    std::optional<std::string> key = ctx->config->key_at(view(path), index);
    if (!key) return LANCHAT_FALSE;
    write_to(key_out, *key);
    return LANCHAT_TRUE;
}

void config_where(lanchat_host_context* ctx, lanchat_str path, lanchat_sink* out) {
    write_to(out, ctx->config->where(view(path)));
}

void config_data_dir(lanchat_host_context* ctx, lanchat_sink* out) { write_to(out, ctx->data_dir); }

const lanchat_config_api kConfigApi = {sizeof(lanchat_config_api), &config_get, &config_key_at, &config_where,
                                       &config_data_dir};

}  // namespace

const lanchat_config_api* config_api_table() { return &kConfigApi; }

}  // namespace lanchat::host::abi

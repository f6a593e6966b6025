/* A plugin written in C against the frozen ABI 1.0 header, using every 1.0 host service. */
#include <stdlib.h>
#include <string.h>

#include "lanchat/plugin_abi.h"

struct lanchat_instance {
    const lanchat_host_api* host;
    lanchat_host_context* ctx;
    lanchat_timer_id timer;
    char greeting[64];
};

static lanchat_str str(const char* text) {
    lanchat_str s = {text, strlen(text)};
    return s;
}

static void log_line(struct lanchat_instance* self, const char* message, const char* key, const char* value) {
    lanchat_log_field field = {str(key), str(value)};
    lanchat_log_record record;
    memset(&record, 0, sizeof record);
    record.struct_size = sizeof record;
    record.level = LANCHAT_LOG_INFO;
    record.message = str(message);
    record.fields = &field;
    record.field_count = 1;
    self->host->log->write(self->ctx, &record);
}

static void on_timer(void* user) { log_line((struct lanchat_instance*)user, "compat timer fired", "abi", "1.0"); }

static lanchat_status_code create(const lanchat_host_api* host, lanchat_host_context* ctx, lanchat_instance** out,
                                  lanchat_sink* error) {
    struct lanchat_instance* self = calloc(1, sizeof *self);
    lanchat_config_value greeting;
    if (self == NULL) return LANCHAT_RESOURCE_EXHAUSTED;
    self->host = host;
    self->ctx = ctx;
    memset(&greeting, 0, sizeof greeting);
    greeting.struct_size = sizeof greeting;
    host->config->get(ctx, str("greeting"), &greeting);
    if (greeting.kind != LANCHAT_CONFIG_STRING || greeting.string_value.size >= sizeof self->greeting) {
        const char* reason = "config key 'greeting' must be a short string";
        error->write(error->user, reason, strlen(reason));
        free(self);
        return LANCHAT_INVALID_ARGUMENT;
    }
    memcpy(self->greeting, greeting.string_value.data, greeting.string_value.size);
    *out = self;
    return LANCHAT_OK;
}

static lanchat_status_code import_state(lanchat_instance* self, lanchat_bytes state, lanchat_sink* error) {
    (void)self;
    (void)state;
    (void)error;
    return LANCHAT_OK;
}

static lanchat_status_code start(lanchat_instance* self, lanchat_sink* error) {
    (void)error;
    self->host->health->set(self->ctx, LANCHAT_HEALTH_SERVING, str("compat plugin up"));
    self->timer = self->host->executor->schedule(self->ctx, 1, 0, on_timer, NULL, self);
    log_line(self, "compat plugin started", "greeting", self->greeting);
    return LANCHAT_OK;
}

static void drain(lanchat_instance* self, const lanchat_drain_request* request) {
    (void)self;
    request->done(request->done_user);
}

static lanchat_status_code export_state(lanchat_instance* self, lanchat_sink* state, lanchat_sink* error) {
    (void)self;
    (void)state;
    (void)error;
    return LANCHAT_OK;
}

static void stop(lanchat_instance* self) { self->host->executor->cancel(self->ctx, self->timer); }

static void destroy(lanchat_instance* self) { free(self); }

static const lanchat_plugin_vtable vtable = {
    sizeof(lanchat_plugin_vtable), create, import_state, start, drain, export_state, stop, destroy};

static const lanchat_plugin_descriptor descriptor = {
    sizeof(lanchat_plugin_descriptor), 1, 0, {"compat", 6}, {"1.0.0", 5}, &vtable};

LANCHAT_PLUGIN_EXPORT const lanchat_plugin_descriptor* lanchat_plugin_entry(uint16_t major, uint16_t minor) {
    (void)major;
    (void)minor;
    return &descriptor;
}

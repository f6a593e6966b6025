/*
 * lanchat plugin ABI — the stable C boundary between the lanchatd host and a plugin.
 *
 * Version 1.7 (1.1 added the rpc table, 1.2 the metrics table, 1.3 the client edge table, 1.4 the declared
 * settings table in the descriptor, 1.5 the client edge's send_many, 1.6 the discovery table, 1.7 the node
 * an outbound call may name). Plain C99, no C++ types,
 * no exceptions, no allocation freed on the other side.
 *
 * Rules that keep this boundary stable (see sdk-docs/abi-reference.md):
 *  - A plugin exports exactly one symbol, LANCHAT_PLUGIN_ENTRY_SYMBOL. The host calls it first, passing
 *    its own ABI version, and reads the major/minor the plugin was built against before anything else.
 *  - The host refuses a plugin whose major differs from its own or whose minor is newer than its own.
 *  - Every struct that crosses starts with `struct_size`. A minor version may only append fields (and
 *    function pointers) at the end of a struct; a reader checks struct_size before touching a field that
 *    was appended after 1.0 (LANCHAT_HAS_FIELD).
 *  - Every pointer says who owns it and how long it lives. "Borrowed" means: valid only for the duration
 *    of the call it is passed to; copy what you need to keep.
 *  - Strings are UTF-8 `lanchat_str` (pointer + length), never required to be NUL-terminated unless said.
 *  - Whoever allocates a struct sets its `struct_size` to sizeof as it was compiled, out-parameters
 *    included: the plugin sets it on a lanchat_config_value it passes to config->get, the host on every
 *    struct it hands a plugin (host table, call info, connection info, HTTP response, drain request).
 *  - Every enum is pinned to 32 bits by a `_MAX_ENUM = 0x7FFFFFFF` entry (as Vulkan does). That entry is
 *    never a valid value; a reader treats any number it does not know as the enum says.
 *  - Booleans are lanchat_bool: zero is false, anything else true; the host writes 1 for true.
 *
 * How each function is described (the terms are used the same way throughout):
 *  - Host functions sit in the `lanchat_<service>_api` tables; a plugin calls them. Plugin callbacks are
 *    the `lanchat_*_fn` types, the handler structs and the lifecycle table; the host calls them.
 *  - THREAD: where a host function may be called from, or where the host runs a callback. Host functions
 *    may be called from any thread unless they say otherwise. "The control thread" is the one thread at a
 *    time that runs an instance's lifecycle (the node's start, reload and stop).
 *  - CALLBACKS: whether a host function may call back into the plugin before it returns. A sink the plugin
 *    passes is written before the call returns; any other callback runs after it returned, unless the
 *    function says otherwise (executor->cancel may run `release`).
 *  - RETURNS: the status codes a function returns, or what its other return value means.
 *  - LIFETIME: who owns each pointer and until when it is valid.
 */
#ifndef LANCHAT_PLUGIN_ABI_H
#define LANCHAT_PLUGIN_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LANCHAT_ABI_MAJOR 1
#define LANCHAT_ABI_MINOR 7

/* The one symbol a plugin exports; its type is lanchat_plugin_entry_fn. */
#define LANCHAT_PLUGIN_ENTRY_SYMBOL "lanchat_plugin_entry"

#if defined(__GNUC__)
#define LANCHAT_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define LANCHAT_PLUGIN_EXPORT
#endif

/* True when a struct received from the other side is large enough to hold `field`. */
#define LANCHAT_HAS_FIELD(struct_ptr, type, field) \
    ((struct_ptr)->struct_size >= offsetof(type, field) + sizeof(((type*)0)->field))

/* The one boolean type of the boundary: 32 bits, the size of every `int` and `int32_t` field it replaced. */
typedef int32_t lanchat_bool;
#define LANCHAT_FALSE 0
#define LANCHAT_TRUE 1

/* ---------------------------------------------------------------------------------------------------
 * Basic types
 * ------------------------------------------------------------------------------------------------- */

/* A UTF-8 string slice. Ownership is stated wherever one is passed. */
typedef struct lanchat_str {
    const char* data; /* may be NULL when size is 0 */
    size_t size;
} lanchat_str;

/* A byte slice. Ownership is stated wherever one is passed. */
typedef struct lanchat_bytes {
    const uint8_t* data; /* may be NULL when size is 0 */
    size_t size;
} lanchat_bytes;

/* Status codes: the same numbers as gRPC's, so RPC statuses cross unchanged. */
typedef enum lanchat_status_code {
    LANCHAT_OK = 0,
    LANCHAT_CANCELLED = 1,
    LANCHAT_UNKNOWN = 2,
    LANCHAT_INVALID_ARGUMENT = 3,
    LANCHAT_DEADLINE_EXCEEDED = 4,
    LANCHAT_NOT_FOUND = 5,
    LANCHAT_ALREADY_EXISTS = 6,
    LANCHAT_PERMISSION_DENIED = 7,
    LANCHAT_RESOURCE_EXHAUSTED = 8,
    LANCHAT_FAILED_PRECONDITION = 9,
    LANCHAT_ABORTED = 10,
    LANCHAT_OUT_OF_RANGE = 11,
    LANCHAT_UNIMPLEMENTED = 12,
    LANCHAT_INTERNAL = 13,
    LANCHAT_UNAVAILABLE = 14,
    LANCHAT_DATA_LOSS = 15,
    LANCHAT_UNAUTHENTICATED = 16,
    LANCHAT_STATUS_CODE_MAX_ENUM = 0x7FFFFFFF
} lanchat_status_code;

/*
 * A place the other side writes a message or bytes into by copying. Owned by whoever passes it; valid only
 * during the call it is passed to. `write` may be called several times; each call appends.
 * THREAD / CALLBACKS: `write` runs on the thread of the call the sink was passed to, before that call
 * returns; never later. The side that creates the sink sets struct_size.
 */
typedef struct lanchat_sink {
    uint32_t struct_size;
    void* user; /* opaque, owned by the side that created the sink */
    void (*write)(void* user, const void* data, size_t size);
} lanchat_sink;

/* Opaque handles. The host owns both; a plugin never frees them. */
typedef struct lanchat_host_context lanchat_host_context; /* one per plugin instance, valid until destroy */
typedef struct lanchat_instance lanchat_instance;         /* the plugin's own instance, owned by the plugin */

/* ---------------------------------------------------------------------------------------------------
 * Host services: logging
 * ------------------------------------------------------------------------------------------------- */

typedef enum lanchat_log_level {
    LANCHAT_LOG_TRACE = 0,
    LANCHAT_LOG_DEBUG = 1,
    LANCHAT_LOG_INFO = 2,
    LANCHAT_LOG_WARN = 3,
    LANCHAT_LOG_ERROR = 4,
    LANCHAT_LOG_LEVEL_MAX_ENUM = 0x7FFFFFFF /* any unknown level is written as ERROR */
} lanchat_log_level;

/* One key/value field of a log record; both borrowed for the duration of the log call. */
typedef struct lanchat_log_field {
    lanchat_str key;
    lanchat_str value;
} lanchat_log_field;

/* One log record; everything in it is borrowed for the duration of the log call. */
typedef struct lanchat_log_record {
    uint32_t struct_size;
    lanchat_log_level level;
    lanchat_str message;
    const lanchat_log_field* fields; /* array of field_count, may be NULL when field_count is 0 */
    size_t field_count;
    lanchat_str correlation_id; /* empty: the host uses the id of the request being served, if any */
    lanchat_str trace_id;       /* empty: likewise */
} lanchat_log_record;

/* Both functions: any thread; no callbacks. */
typedef struct lanchat_log_api {
    uint32_t struct_size;
    /* Writes one record; the host adds time, node and plugin name. `record` and everything it points to
     * are borrowed for the call. A NULL record, or one too small to hold trace_id, is ignored. */
    void (*write)(lanchat_host_context* ctx, const lanchat_log_record* record);
    /* RETURNS true when a record of this level would be written; lets a plugin skip building it. */
    lanchat_bool (*enabled)(lanchat_host_context* ctx, lanchat_log_level level);
} lanchat_log_api;

/* ---------------------------------------------------------------------------------------------------
 * Host services: configuration (the plugin's own `[plugin.config]` table, read-only)
 * ------------------------------------------------------------------------------------------------- */

typedef enum lanchat_config_kind {
    LANCHAT_CONFIG_MISSING = 0,
    LANCHAT_CONFIG_STRING = 1,
    LANCHAT_CONFIG_INTEGER = 2,
    LANCHAT_CONFIG_FLOAT = 3,
    LANCHAT_CONFIG_BOOL = 4,
    LANCHAT_CONFIG_ARRAY = 5,
    LANCHAT_CONFIG_TABLE = 6,
    LANCHAT_CONFIG_OTHER = 7, /* dates and times: read them as strings with `where` for errors */
    LANCHAT_CONFIG_KIND_MAX_ENUM = 0x7FFFFFFF
} lanchat_config_kind;

/*
 * One value. Which member is meaningful follows `kind`. `string_value` points into host memory that
 * lives until the instance is destroyed. For ARRAY and TABLE, `element_count` is the number of elements
 * or keys.
 */
typedef struct lanchat_config_value {
    uint32_t struct_size;
    lanchat_config_kind kind;
    lanchat_str string_value;
    int64_t integer_value;
    double float_value;
    lanchat_bool bool_value;
    size_t element_count;
} lanchat_config_value;

/*
 * Paths address values inside the plugin's config table: `key`, `table.key`, `list[2]`, `list[2].key`.
 * The empty path is the table itself. Paths are borrowed for the duration of the call.
 * Every function: any thread (the table never changes while the instance lives); the only callback is
 * the sink passed in, written before the function returns.
 */
typedef struct lanchat_config_api {
    uint32_t struct_size;
    /* Fills `out`, which the plugin owns and whose struct_size it sets first: the host writes only the fields
     * that fit in that size and leaves struct_size as it was. Kind is LANCHAT_CONFIG_MISSING when nothing is
     * at `path`. A NULL `out` is ignored. */
    void (*get)(lanchat_host_context* ctx, lanchat_str path, lanchat_config_value* out);
    /* Writes the key of the `index`-th entry (in name order) of the table at `path` into `key_out`.
     * RETURNS true when it wrote one; false when `path` is no table or `index` is out of range. */
    lanchat_bool (*key_at)(lanchat_host_context* ctx, lanchat_str path, size_t index, lanchat_sink* key_out);
    /* Writes where `path` is defined, "file:line:column" (or the file alone when the key is absent). */
    void (*where)(lanchat_host_context* ctx, lanchat_str path, lanchat_sink* out);
    /* Writes the node's data directory for this plugin (created by the host, exclusive to it). */
    void (*data_dir)(lanchat_host_context* ctx, lanchat_sink* out);
} lanchat_config_api;

/* ---------------------------------------------------------------------------------------------------
 * Host services: health
 * ------------------------------------------------------------------------------------------------- */

typedef enum lanchat_health_status {
    LANCHAT_HEALTH_UNKNOWN = 0,
    LANCHAT_HEALTH_SERVING = 1,
    LANCHAT_HEALTH_NOT_SERVING = 2,
    LANCHAT_HEALTH_STATUS_MAX_ENUM = 0x7FFFFFFF /* any unknown status is taken as UNKNOWN */
} lanchat_health_status;

typedef struct lanchat_health_api {
    uint32_t struct_size;
    /* Sets this instance's health; `reason` is borrowed and shown to operators. The host starts an
     * instance as SERVING once start() succeeds unless the plugin has said otherwise.
     * THREAD: any; no callbacks. */
    void (*set)(lanchat_host_context* ctx, lanchat_health_status status, lanchat_str reason);
} lanchat_health_api;

/* ---------------------------------------------------------------------------------------------------
 * Host services: executor and timers
 * ------------------------------------------------------------------------------------------------- */

typedef uint64_t lanchat_timer_id; /* 0 is never a valid id */

/* Called on a host executor thread, never inside schedule(). `user` is whatever the plugin passed when
 * scheduling. Tasks of one instance may run concurrently on different executor threads. */
typedef void (*lanchat_task_fn)(void* user);

typedef struct lanchat_executor_api {
    uint32_t struct_size;
    /*
     * Runs `fn(user)` after `delay_ms` (0: as soon as possible) on a host executor thread, then every
     * `period_ms` if it is non-zero, until cancelled. `release(user)`, when not NULL, is called exactly once
     * after the host has made its last call to `fn`: after a one-shot task ran, on cancel, or when the
     * instance stops. It is the place to free `user`. `release` runs on an executor thread, or inside
     * cancel() on the thread that cancels (the host's control thread when the instance stops).
     * THREAD: any. CALLBACKS: none before it returns, even with delay_ms 0.
     * RETURNS an id for cancel; 0 (and nothing scheduled) when `fn` is NULL.
     */
    lanchat_timer_id (*schedule)(lanchat_host_context* ctx, uint64_t delay_ms, uint64_t period_ms, lanchat_task_fn fn,
                                 lanchat_task_fn release, void* user);
    /*
     * After cancel returns, `fn` is not running (unless cancel is called from inside it) and will not run
     * again. Cancelling an unknown or finished id does nothing. The host cancels whatever an instance left
     * scheduled when it stops, so no plugin code runs from the executor after stop().
     * THREAD: any. CALLBACKS: `release(user)` may run inside cancel; cancel waits while `fn` runs elsewhere.
     */
    void (*cancel)(lanchat_host_context* ctx, lanchat_timer_id id);
} lanchat_executor_api;

/* ---------------------------------------------------------------------------------------------------
 * Host services: RPC (since 1.1) — serving gRPC methods over the node's mTLS server, and calling
 * other services through the host. Payloads are serialized protobuf messages.
 * ------------------------------------------------------------------------------------------------- */

typedef enum lanchat_rpc_kind {
    LANCHAT_RPC_UNARY = 0,
    LANCHAT_RPC_SERVER_STREAMING = 1,
    LANCHAT_RPC_KIND_MAX_ENUM = 0x7FFFFFFF
} lanchat_rpc_kind;

/*
 * One inbound call. Owned by the host. It stays valid until the plugin calls finish() on it — which it must
 * do exactly once for every call it was handed, even a cancelled one — or until the plugin's stop() returns,
 * when the host ends whatever the plugin left unfinished (UNAVAILABLE).
 */
typedef struct lanchat_rpc_call lanchat_rpc_call;

/* What the host knows of an inbound call; borrowed for the duration of the handler call. */
typedef struct lanchat_rpc_call_info {
    uint32_t struct_size;
    lanchat_str method;         /* full name, "/package.Service/Method" */
    lanchat_str peer_identity;  /* the caller's SPIFFE ID, e.g. "spiffe://lan-chat.local/svc/auth" */
    lanchat_str correlation_id; /* from the caller, or created by the host at the first hop */
    lanchat_str trace_id;       /* W3C trace id (32 hex digits) */
    uint64_t deadline_unix_ms;  /* when the caller stops waiting; 0 when it set none */
} lanchat_rpc_call_info;

/* Handles one call. THREAD: a mesh (gRPC) thread; handlers of different calls run concurrently; never inside
 * serve(), and no new call starts once the instance drains (those are refused). `request` and `info` are
 * borrowed for this call only; `call` lives until finish(). Answer with finish(), now or later and from
 * any thread; for a server-streaming method, write() messages first. */
typedef void (*lanchat_rpc_handler_fn)(void* user, lanchat_rpc_call* call, const lanchat_rpc_call_info* info,
                                       lanchat_bytes request);

/* Told once when a call ends before the plugin finished it (client gone, deadline passed). The plugin
 * still calls finish() on it; writes fail from now on. THREAD: a mesh thread, possibly while the handler
 * of that call still runs on another. */
typedef void (*lanchat_rpc_cancelled_fn)(void* user, lanchat_rpc_call* call);

/* One method a plugin serves; borrowed for the duration of serve(); the host copies what it keeps. */
typedef struct lanchat_rpc_method {
    uint32_t struct_size;
    lanchat_str full_name; /* "/package.Service/Method" */
    lanchat_rpc_kind kind;
    lanchat_rpc_handler_fn handler;
    lanchat_rpc_cancelled_fn cancelled; /* may be NULL */
    void* user;                         /* handed to handler and cancelled; owned by the plugin */
} lanchat_rpc_method;

/* Options of an outbound call; borrowed for the duration of the call_* function. */
typedef struct lanchat_rpc_call_options {
    uint32_t struct_size;
    lanchat_str service;      /* the logical service to call, e.g. "audit"; resolved by discovery */
    lanchat_str method;       /* full name, "/lanchat.audit.v1.Audit/Append" */
    uint64_t timeout_ms;      /* 0: the node's default deadline */
    lanchat_bool idempotent;  /* true: retried with backoff within the deadline; false: sent once */
    lanchat_rpc_call* parent; /* the inbound call being served, if any: its correlation id, trace and
                                 (when sooner) deadline carry over; may be NULL */
    lanchat_str node;         /* since 1.7: the node to call (its name in the membership, as in
                                 cluster_nodes); empty: any node hosting `service`, this one first. A node
                                 that is not a member, or does not host `service`, is answered UNAVAILABLE.
                                 A plugin that sets it is built against 1.7, so its host honours it. */
} lanchat_rpc_call_options;

/* The final result of an outbound call; everything borrowed for this call only. `response` is the reply of
 * a unary call and empty for a stream. THREAD: a mesh or executor thread, never inside the call_unary or
 * call_server_stream that started it. `code` is LANCHAT_OK, the status the callee (or its node) answered,
 * or one the host chose: UNAVAILABLE (no [mesh], no endpoint, every endpoint's breaker open),
 * DEADLINE_EXCEEDED, or CANCELLED (cancel_stream, or the calling instance stopped). */
typedef void (*lanchat_rpc_reply_fn)(void* user, lanchat_status_code code, lanchat_str message, lanchat_bytes response);

/* One message of an outbound server stream; `message` borrowed for this call only. THREAD: a mesh thread;
 * the messages of one stream come one at a time, in order, all before its reply. */
typedef void (*lanchat_rpc_message_fn)(void* user, lanchat_bytes message);

typedef uint64_t lanchat_rpc_stream_id; /* 0 is never a valid id */

/*
 * Every function: any thread. Outbound calls: a plugin's `user` is its own until `reply` has run, which
 * happens exactly once per call. Calls still outstanding when the plugin's stop() returns are cancelled by
 * the host, and their `reply` (CANCELLED) arrives before destroy(); none arrives later. A call started once
 * stop() has returned (from such a reply, say) is not made: it is answered CANCELLED, also before destroy().
 */
typedef struct lanchat_rpc_api {
    uint32_t struct_size;
    /* Serves `method` from now on (the node's routing table changes atomically); `method` is borrowed, its
     * `user` stays the plugin's and must live until destroy(). CALLBACKS: only `error`.
     * RETURNS OK; UNAVAILABLE without [mesh]; INVALID_ARGUMENT for a NULL method or handler, an unknown kind
     * or a malformed name; ALREADY_EXISTS when the name is served already. A reason is in `error`. */
    lanchat_status_code (*serve)(lanchat_host_context* ctx, const lanchat_rpc_method* method, lanchat_sink* error);
    /* Stops routing new calls of `full_name` to this plugin; calls in flight continue. Unknown names and a
     * node without [mesh] are ignored. No callbacks. */
    void (*unserve)(lanchat_host_context* ctx, lanchat_str full_name);
    /* Sends one message on a server-streaming call (copied). No callbacks. RETURNS OK when queued; CANCELLED
     * when the call has ended or was finished; RESOURCE_EXHAUSTED when the client is too slow and the queue is
     * full; FAILED_PRECONDITION on a unary call; INVALID_ARGUMENT for a NULL call. */
    lanchat_status_code (*write)(lanchat_rpc_call* call, lanchat_bytes message);
    /* Ends the call: OK with `response` (unary) or an error code and message, both borrowed. Exactly once per
     * call; a second finish is ignored. `call` is invalid once finish returns. No callbacks. */
    void (*finish)(lanchat_rpc_call* call, lanchat_status_code code, lanchat_str message, lanchat_bytes response);
    /* Calls a unary method of another service; `options` and `request` are borrowed (copied before it
     * returns). CALLBACKS: none; `reply(user, ...)` runs exactly once, after call_unary returned, even when
     * the answer is known at once (no [mesh], no endpoint): such an answer is posted to the executor. */
    void (*call_unary)(lanchat_host_context* ctx, const lanchat_rpc_call_options* options, lanchat_bytes request,
                       lanchat_rpc_reply_fn reply, void* user);
    /* Calls a server-streaming method: `on_message` for each message, then `reply` once with the status.
     * Borrowing and callbacks as call_unary. RETURNS the stream's id for cancel_stream; 0 without [mesh]
     * (`reply` still comes, UNAVAILABLE). */
    lanchat_rpc_stream_id (*call_server_stream)(lanchat_host_context* ctx, const lanchat_rpc_call_options* options,
                                                lanchat_bytes request, lanchat_rpc_message_fn on_message,
                                                lanchat_rpc_reply_fn reply, void* user);
    /* Cancels an outbound stream; `reply` is still called once, with CANCELLED, after cancel_stream returned.
     * Unknown or finished ids are ignored. */
    void (*cancel_stream)(lanchat_host_context* ctx, lanchat_rpc_stream_id id);
} lanchat_rpc_api;

/* ---------------------------------------------------------------------------------------------------
 * Host services: metrics (since 1.2) — a plugin's own counters, gauges and histograms, exposed by the
 * host's /metrics as lanchat_<plugin name>_<name> (dashes in the plugin name become underscores).
 * ------------------------------------------------------------------------------------------------- */

typedef enum lanchat_metric_kind {
    LANCHAT_METRIC_COUNTER = 0,
    LANCHAT_METRIC_GAUGE = 1,
    LANCHAT_METRIC_HISTOGRAM = 2,
    LANCHAT_METRIC_KIND_MAX_ENUM = 0x7FFFFFFF /* any unknown kind is declared as a counter */
} lanchat_metric_kind;

typedef uint64_t lanchat_metric_id; /* 0 is never a valid id */

/* A metric to declare; everything in it is borrowed for the duration of declare(). */
typedef struct lanchat_metric_spec {
    uint32_t struct_size;
    lanchat_metric_kind kind;
    lanchat_str name; /* [a-zA-Z_][a-zA-Z0-9_]*, e.g. "appends_total" */
    lanchat_str help;
    const lanchat_str* label_names; /* array of label_count; [a-zA-Z_][a-zA-Z0-9_]*, not "plugin" */
    size_t label_count;
    const double* buckets; /* histogram upper bounds; NULL or none: latency buckets (0.5 ms to 10 s) */
    size_t bucket_count;
} lanchat_metric_spec;

/*
 * Label values are borrowed for the call and must come from a bounded set (never raw user input): each
 * metric keeps at most 2000 series and folds the rest into one whose labels read "other".
 * A value array whose count differs from the declared labels is ignored, and so is an unknown id.
 * Every function: any thread; the only callback is `error`, written before declare returns.
 */
typedef struct lanchat_metrics_api {
    uint32_t struct_size;
    /* Declares a metric; `spec` is borrowed. RETURNS its id (valid until destroy), or 0 with a reason in
     * `error` when the name or labels are malformed or taken. */
    lanchat_metric_id (*declare)(lanchat_host_context* ctx, const lanchat_metric_spec* spec, lanchat_sink* error);
    /* Counters (value >= 0) and gauges. */
    void (*add)(lanchat_host_context* ctx, lanchat_metric_id id, const lanchat_str* label_values, size_t count,
                double value);
    /* Gauges. */
    void (*set)(lanchat_host_context* ctx, lanchat_metric_id id, const lanchat_str* label_values, size_t count,
                double value);
    /* Histograms. */
    void (*observe)(lanchat_host_context* ctx, lanchat_metric_id id, const lanchat_str* label_values, size_t count,
                    double value);
} lanchat_metrics_api;

/* ---------------------------------------------------------------------------------------------------
 * Host services: discovery (since 1.6) — the cluster membership the node follows in etcd ([discovery] etcd):
 * every node whose lease is alive, with its mesh address, services and client address. The Discovery
 * service answers from it; services themselves are resolved by the host for every outbound call.
 * ------------------------------------------------------------------------------------------------- */

typedef struct lanchat_discovery_api {
    uint32_t struct_size;
    /* Writes the nodes into `out` as one serialized lanchat.discovery.v1.ListNodesReply
     * (proto/lanchat/discovery/v1/discovery.proto), in node name order, this node included, as the node last
     * saw them (it keeps them while etcd is out of reach).
     * THREAD: any. CALLBACKS: only `out`, written before it returns.
     * RETURNS OK; FAILED_PRECONDITION when the node follows no etcd membership (no [mesh], or its membership
     * is the static [discovery] table or the embedded registry); UNAVAILABLE before the node has joined the
     * cluster (while its plugins start). Nothing is written unless OK. */
    lanchat_status_code (*cluster_nodes)(lanchat_host_context* ctx, lanchat_sink* out);
} lanchat_discovery_api;

/* ---------------------------------------------------------------------------------------------------
 * Host services: the client edge (since 1.3) — people's WebSocket/TLS connections and HTTPS requests on the
 * node's `[client_edge]` listener. The host owns the sockets, TLS, the WebSocket protocol, the limits
 * (frame size, send queue, idle and handshake timeouts, connection count); one plugin instance at a time
 * handles what arrives. Because the connections belong to the host, reloading that plugin keeps them open:
 * the successor is handed every open connection (`adopted`) together with the session bytes its
 * predecessor stored, at the same moment the mesh routes switch.
 * ------------------------------------------------------------------------------------------------- */

typedef uint64_t lanchat_connection_id; /* 0 is never a valid id; ids are never reused within a node */

/* What the host knows of one connection; borrowed for the duration of the callback. */
typedef struct lanchat_connection_info {
    uint32_t struct_size;
    lanchat_connection_id id;
    lanchat_str peer_address;       /* "ip:port" of the client */
    lanchat_str device_fingerprint; /* SHA-256 (64 lowercase hex) of the client certificate the CA verified;
                                       empty when the client presented none */
    lanchat_str target;             /* the request target of the WebSocket upgrade, e.g. "/ws" */
    lanchat_bytes session;          /* what a handler last stored with set_session; empty at first */
    lanchat_bool adopted;           /* true: the connection was opened before this instance took over */
} lanchat_connection_info;

/* One HTTPS request that is not a WebSocket upgrade; borrowed for the duration of the callback. */
typedef struct lanchat_http_request {
    uint32_t struct_size;
    lanchat_str method; /* "GET", "HEAD", ... */
    lanchat_str target; /* "/app.js?x=1" */
    lanchat_str peer_address;
    lanchat_str if_none_match; /* the If-None-Match header, empty when absent */
} lanchat_http_request;

/* The answer to a lanchat_http_request: the handler sets `status` (0 leaves 404; outside 100-599 becomes 500)
 * and writes into the sinks. Host-owned (the host sets struct_size), borrowed for the callback. The host adds
 * Content-Length, Date and security headers; an empty content type is "text/plain; charset=utf-8". */
typedef struct lanchat_http_response {
    uint32_t struct_size;
    uint16_t status;
    lanchat_sink* content_type;
    lanchat_sink* cache_control; /* empty: "no-store" */
    lanchat_sink* etag;
    lanchat_sink* body;
} lanchat_http_response;

/*
 * The handler a plugin attaches. Callbacks run on the host's client-edge threads, except `opened` with
 * info->adopted, which runs on the control thread at the reload switch; calls for one connection never
 * overlap and arrive in order (opened, messages..., closed). None runs inside attach(), nor after the host
 * detached the instance (before its stop()). They must not block: answer through send() from any thread,
 * later. Borrowed for attach(); the host copies it, and `user` must live until stop() returns.
 */
typedef struct lanchat_client_edge_handler {
    uint32_t struct_size;
    void* user; /* owned by the plugin; handed to every callback */
    /* A WebSocket connection was opened (or, with info->adopted, taken over from a predecessor). */
    void (*opened)(void* user, const lanchat_connection_info* info);
    /* One complete text message. `info->session` is the connection's session as stored now. */
    void (*message)(void* user, const lanchat_connection_info* info, lanchat_str text);
    /* The connection has ended (peer, timeout, limit or close()); `code` is the WebSocket close code sent or
     * received (1006 when the transport failed). No callback about this id follows. */
    void (*closed)(void* user, lanchat_connection_id id, uint16_t code, lanchat_str reason);
    /* An HTTPS request other than an upgrade; answer through `response` before returning. May be NULL. */
    void (*http)(void* user, const lanchat_http_request* request, lanchat_http_response* response);
} lanchat_client_edge_handler;

/* Every function but attach: any thread. No function calls a handler callback before it returns. */
typedef struct lanchat_client_edge_api {
    uint32_t struct_size;
    /* Makes this instance the handler of the node's client edge, once per instance, from create or start
     * (the control thread). During a reload the successor's attach takes effect at the switch. The host
     * detaches the instance at stop; without a successor it then closes every connection (1001).
     * RETURNS OK; FAILED_PRECONDITION when the node has no [client_edge], this instance attached already or
     * another plugin holds the edge; INVALID_ARGUMENT for a NULL or too small handler, or one without
     * opened, message and closed. A reason is in `error`. */
    lanchat_status_code (*attach)(lanchat_host_context* ctx, const lanchat_client_edge_handler* handler,
                                  lanchat_sink* error);
    /* Queues one text message (copied) to the connection; from any thread. LANCHAT_OK when queued;
     * LANCHAT_NOT_FOUND when the connection is gone (or the node has no [client_edge]);
     * LANCHAT_RESOURCE_EXHAUSTED when the client is not reading and its send queue is over the limit: the host
     * then closes it with 4008 itself. */
    lanchat_status_code (*send)(lanchat_host_context* ctx, lanchat_connection_id id, lanchat_str text);
    /* Stores bytes (copied) the host keeps with the connection and hands to whichever instance handles it
     * next (every info->session). Keep it small: who is authenticated, not what was delivered.
     * RETURNS OK, or NOT_FOUND when the connection is gone. */
    lanchat_status_code (*set_session)(lanchat_host_context* ctx, lanchat_connection_id id, lanchat_bytes session);
    /* Sends a close frame with `code` (1000, or 4000-4999; any other becomes 1011) and `reason` (borrowed,
     * cut at 120 bytes) after what is queued, then ends the connection; `closed` follows later on a
     * client-edge thread. Unknown ids are ignored. */
    void (*close)(lanchat_host_context* ctx, lanchat_connection_id id, uint16_t code, lanchat_str reason);
    /* Since 1.5 (read only when LANCHAT_HAS_FIELD says it is there): queues the same text message on each of
     * `count` connections, as `send` would one by one; the host copies the bytes once and every connection
     * shares that copy, so a delivery to a room costs one copy, not one per member. From any thread; calls
     * no callback. `ids` (count entries) and `text` are borrowed for the call; `results` is NULL or count
     * entries the host writes before it returns: each connection's outcome as `send` reports it (OK,
     * NOT_FOUND, RESOURCE_EXHAUSTED, which also closes that connection with 4008). Repeated ids are queued
     * repeatedly. RETURNS OK when every connection queued the text (count 0 included); otherwise the first
     * outcome that was not OK; INVALID_ARGUMENT when `ids` is NULL and count is not 0 (nothing queued). */
    lanchat_status_code (*send_many)(lanchat_host_context* ctx, const lanchat_connection_id* ids, size_t count,
                                     lanchat_str text, lanchat_status_code* results);
} lanchat_client_edge_api;

/* ---------------------------------------------------------------------------------------------------
 * The host table handed to a plugin at create. Owned by the host; valid until the instance is destroyed.
 * abi_major/abi_minor are the host's own version, the same numbers it passed to the entry symbol: a plugin
 * built against an older minor learns from them what else the host offers.
 * ------------------------------------------------------------------------------------------------- */

typedef struct lanchat_host_api {
    uint32_t struct_size;
    uint16_t abi_major;
    uint16_t abi_minor;
    lanchat_str host_version; /* e.g. "0.1.0"; host memory, lives as long as the table */
    lanchat_str node_name;    /* the `[node] name`; host memory, lives as long as the table */
    const lanchat_log_api* log;
    const lanchat_config_api* config;
    const lanchat_health_api* health;
    const lanchat_executor_api* executor;
    const lanchat_rpc_api* rpc;                 /* since 1.1 (without [mesh], serving and calls fail UNAVAILABLE) */
    const lanchat_metrics_api* metrics;         /* since 1.2 */
    const lanchat_discovery_api* discovery;     /* since 1.6 (NULL in hosts before it) */
    const lanchat_client_edge_api* client_edge; /* since 1.3 (without [client_edge], attach fails) */
} lanchat_host_api;

/* ---------------------------------------------------------------------------------------------------
 * The plugin's lifecycle
 *
 *   create -> [import_state] -> start -> ... serving ... -> drain -> [export_state] -> stop -> destroy
 *
 * A failed create, import_state or start is followed by destroy (after stop, when start had been called).
 * Every function that can fail returns a status code and, on failure, writes a human-readable reason
 * into `error` (host-owned, borrowed for the call): say what was wrong, where, and how to fix it.
 * THREAD: the control thread, one function at a time per instance. A plugin may call any host function
 * from inside them.
 * ------------------------------------------------------------------------------------------------- */

/*
 * Handed to drain(). Owned by the host; valid until destroy() returns. The plugin calls done(done_user) once,
 * from any thread, when it has finished what was in flight; further calls do nothing. If the deadline passes
 * first the host proceeds to stop() anyway, and a late call to done is harmless. done may also be called
 * inside drain() itself.
 */
typedef struct lanchat_drain_request {
    uint32_t struct_size;
    uint64_t deadline_unix_ms; /* wall-clock deadline for finishing in-flight work */
    void* done_user;
    void (*done)(void* done_user);
} lanchat_drain_request;

typedef struct lanchat_plugin_vtable {
    uint32_t struct_size;
    /*
     * Creates an instance. `host` and `ctx` are host-owned and stay valid until destroy() returns; the
     * instance keeps them. Configuration is read through host->config during create. On success *out
     * holds the plugin-owned instance.
     */
    lanchat_status_code (*create)(const lanchat_host_api* host, lanchat_host_context* ctx, lanchat_instance** out,
                                  lanchat_sink* error);
    /* Hands over state exported by a previous instance of this plugin (hot reload). `state` is borrowed. */
    lanchat_status_code (*import_state)(lanchat_instance* instance, lanchat_bytes state, lanchat_sink* error);
    /* Begins serving: register handlers, start timers, open stores. */
    lanchat_status_code (*start)(lanchat_instance* instance, lanchat_sink* error);
    /* Stops taking new work and finishes what is in flight; see lanchat_drain_request. */
    void (*drain)(lanchat_instance* instance, const lanchat_drain_request* request);
    /* Writes the instance's state for a successor into `state_out` (host-owned, borrowed for the call). */
    lanchat_status_code (*export_state)(lanchat_instance* instance, lanchat_sink* state_out, lanchat_sink* error);
    /* Releases everything registered with the host and stops all work; no plugin code runs afterwards. */
    void (*stop)(lanchat_instance* instance);
    /* Frees the instance. */
    void (*destroy)(lanchat_instance* instance);
} lanchat_plugin_vtable;

/* ---------------------------------------------------------------------------------------------------
 * Declared settings (since 1.4): the keys a plugin reads from its `[plugin.config]`, so the host can
 * describe them (`lanchatd --describe`) and check a node file (`lanchatd --check`) without creating an
 * instance. The SDK checks the same table again at create.
 * ------------------------------------------------------------------------------------------------- */

typedef enum lanchat_setting_type {
    LANCHAT_SETTING_INTEGER = 0,
    LANCHAT_SETTING_FLOAT = 1, /* an integer is accepted too */
    LANCHAT_SETTING_STRING = 2,
    LANCHAT_SETTING_BOOL = 3,
    LANCHAT_SETTING_MILLISECONDS = 4, /* an integer number of milliseconds */
    LANCHAT_SETTING_STRING_LIST = 5,
    LANCHAT_SETTING_TYPE_MAX_ENUM = 0x7FFFFFFF /* a row of any other type is refused when the plugin loads */
} lanchat_setting_type;

/*
 * One setting. Plugin-owned static data, like the descriptor that points to it: it and every string and
 * array it points to live as long as the library is loaded. A key absent from the node file takes the
 * default; a present one must have the type and lie in [min, max] (bounds included).
 */
typedef struct lanchat_setting {
    uint32_t struct_size; /* every row of one table has the same size, which is also the array's stride */
    lanchat_setting_type type;
    lanchat_str name;        /* the key in [plugin.config] */
    lanchat_str doc;         /* one line for operators */
    int64_t integer_default; /* INTEGER and MILLISECONDS; BOOL: 0 or 1 */
    int64_t integer_min;     /* INTEGER and MILLISECONDS */
    int64_t integer_max;
    double float_default; /* FLOAT */
    double float_min;
    double float_max;
    lanchat_str string_default;      /* STRING */
    const lanchat_str* list_default; /* STRING_LIST: array of list_default_count; may be NULL when 0 */
    size_t list_default_count;
} lanchat_setting;

/*
 * What the entry symbol returns. Plugin-owned static data: lives as long as the library is loaded.
 * `abi_major` and `abi_minor` sit at fixed offsets in every version; the host reads them before any other
 * field and refuses the plugin without touching the rest when they are incompatible.
 */
typedef struct lanchat_plugin_descriptor {
    uint32_t struct_size;
    uint16_t abi_major; /* the ABI the plugin was built against */
    uint16_t abi_minor;
    lanchat_str name;    /* the plugin's own name, e.g. "audit" */
    lanchat_str version; /* the plugin's version, e.g. "1.4.2" */
    const lanchat_plugin_vtable* vtable;
    /* Since 1.4 (read only when LANCHAT_HAS_FIELD says they are there): the plugin's settings, an array of
     * setting_count rows, plugin static data. NULL: the plugin declares none and reads its config itself,
     * so a node file's [plugin.config] is checked only at create. Non-NULL: every key must be in it. */
    const lanchat_setting* settings;
    size_t setting_count;
} lanchat_plugin_descriptor;

/*
 * The entry symbol. Negotiation goes both ways: the host passes the ABI version it implements, which the
 * plugin may record to adapt (the C++ SDK does: sdk::host_abi_version()), and the plugin answers with its
 * descriptor, whose abi_major/abi_minor say what it was built against (never NULL).
 * THREAD: the loading thread, before any other plugin code; once for each load of the library.
 */
typedef const lanchat_plugin_descriptor* (*lanchat_plugin_entry_fn)(uint16_t host_abi_major, uint16_t host_abi_minor);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* LANCHAT_PLUGIN_ABI_H */

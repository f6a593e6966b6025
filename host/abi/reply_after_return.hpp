// ReplyAfterReturn: the reply of an outbound call never reaches the plugin inside the call_unary or
// call_server_stream that asked for it, as plugin_abi.h promises. An answer known before the call returns
// (the node has no mesh, no endpoint is known) is held and, as the call returns, posted to the executor.
#pragma once

#include <memory>

#include "lanchat/plugin_abi.h"
#include "mesh/mesh_client.hpp"

namespace lanchat::host::abi {

class ReplyAfterReturn {
public:
    // `reply(user, ...)` is the plugin's callback; it runs exactly once, whichever way the answer comes.
    ReplyAfterReturn(lanchat_host_context* ctx, lanchat_rpc_reply_fn reply, void* user);
    // The call is returning: an answer held so far is posted to the executor now; later ones go straight on.
    ~ReplyAfterReturn();
    ReplyAfterReturn(const ReplyAfterReturn&) = delete;
    ReplyAfterReturn& operator=(const ReplyAfterReturn&) = delete;

    // What to hand the mesh as the call's reply; callable once, from any thread, before or after the return.
    mesh::ReplyFn reply_fn() const;

private:
    struct State;
    std::shared_ptr<State> state_;
};

}  // namespace lanchat::host::abi

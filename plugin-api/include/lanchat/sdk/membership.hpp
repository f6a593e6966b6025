// Membership: the cluster membership the node follows in etcd ([discovery] etcd), as the host reports it to
// the plugin that answers for it (the Discovery service).
#pragma once

#include <string>

#include "lanchat/plugin_abi.h"
#include "lanchat/sdk/host.hpp"
#include "lanchat/sdk/sink.hpp"
#include "lanchat/sdk/status.hpp"

namespace lanchat::sdk {

// Borrows the instance's host table; lives no longer than the Host it was made from. Thread-safe.
class Membership {
public:
    explicit Membership(const Host& host) : api_(host.abi()), ctx_(host.abi_context()) {}

    // Every node whose lease is alive, this one included, as a serialized lanchat.discovery.v1.ListNodesReply.
    // FAILED_PRECONDITION when the node follows no etcd membership (or the host predates ABI 1.6);
    // UNAVAILABLE before the node has joined the cluster.
    Result<std::string> cluster_nodes() const {
        if (api_->abi_minor < 6 || api_->discovery == nullptr) {
            return failed_precondition("the host offers no cluster membership (it predates ABI 1.6)");
        }
        StringSink out;
        lanchat_status_code code = api_->discovery->cluster_nodes(ctx_, out.get());
        if (code == LANCHAT_FAILED_PRECONDITION) {
            return failed_precondition("this node's membership is not in etcd ([discovery] etcd)");
        }
        if (code != LANCHAT_OK) {
            return Status(static_cast<Code>(code), "this node has not joined the cluster in etcd yet");
        }
        return std::move(out.text());
    }

private:
    const lanchat_host_api* api_;
    lanchat_host_context* ctx_;
};

}  // namespace lanchat::sdk

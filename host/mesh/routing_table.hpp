// RoutingTable: which plugin serves which full method name. Readers take a snapshot without locking;
// writers swap in a new table, so plugins come and go while the server runs.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "host_fwd.hpp"
#include "lanchat/plugin_abi.h"
#include "lanchat/sdk/status.hpp"

namespace lanchat::host::mesh {

struct Route {
    std::string method;  // "/package.Service/Method"
    lanchat_rpc_kind kind = LANCHAT_RPC_UNARY;
    lanchat_rpc_handler_fn handler = nullptr;
    lanchat_rpc_cancelled_fn cancelled = nullptr;
    void* user = nullptr;
    std::shared_ptr<RpcOwner> owner;  // the serving plugin instance
};

// "package.Service" of "/package.Service/Method"; empty when the name is malformed.
std::string_view service_of(std::string_view method);

class RoutingTable {
public:
    RoutingTable();

    // Fails when the name is malformed or another plugin already serves it. While `route.owner` is staged
    // to replace another owner (hot reload), its methods wait aside until promote().
    sdk::Status add(Route route);

    // Hot reload: from now until promote() or discard(), `successor` registers aside, in place of `predecessor`.
    void stage(const RpcOwner* predecessor, const RpcOwner* successor);
    // Atomically routes every method staged by the successor to it and drops the predecessor's routes.
    void promote(const RpcOwner* successor);
    void discard(const RpcOwner* successor);
    void remove(const RpcOwner* owner, std::string_view method);
    void remove_owner(const RpcOwner* owner);

    std::shared_ptr<const Route> find(const std::string& method) const;
    // The proto services ("package.Service") `owner` serves at least one method of.
    std::vector<std::string> services_of(const RpcOwner* owner) const;

private:
    using Table = std::unordered_map<std::string, std::shared_ptr<const Route>>;
    template <class Edit>
    void update(Edit edit);

    std::mutex write_mutex_;
    std::atomic<std::shared_ptr<const Table>> table_;
    struct Staging {
        const RpcOwner* predecessor = nullptr;
        Table routes;
    };
    std::unordered_map<const RpcOwner*, Staging> staged_;  // by successor; under write_mutex_
};

}  // namespace lanchat::host::mesh

// Forward declarations of the host's classes that its headers name only by reference or pointer, so each
// header does not repeat them or include the whole class; include the class's own header where it is used.
#pragma once

namespace lanchat::host {
class Executor;
class Node;
class NodeLog;
class TraceWriter;
}  // namespace lanchat::host

namespace lanchat::host::metrics {
class Family;
class Registry;
}  // namespace lanchat::host::metrics

namespace lanchat::host::mesh {
class AuthorizationPolicy;
class Mesh;
class MeshClient;
class RoutingTable;
class RpcOwner;
}  // namespace lanchat::host::mesh

namespace lanchat::host::edge {
class Dispatcher;
}

namespace lanchat::host::net {
class Revocations;
}

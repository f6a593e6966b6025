#include "config/descriptor_limit.hpp"

#include <sys/resource.h>

#include <string>

namespace lanchat::host {

size_t raise_descriptor_limit() {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
    if (limit.rlim_cur < limit.rlim_max) {
        rlimit raised = limit;
        raised.rlim_cur = limit.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
    }
    return limit.rlim_cur == RLIM_INFINITY ? static_cast<size_t>(-1) : static_cast<size_t>(limit.rlim_cur);
}

sdk::Status check_descriptor_room(NodeConfig& config, size_t limit) {
    if (!config.client_edge) return {};
    size_t wanted = config.client_edge->max_connections;
    size_t room = limit > kDescriptorReserve ? limit - kDescriptorReserve : 0;
    if (wanted <= room) return {};
    if (!config.client_edge->max_connections_given && room > 0) {
        config.client_edge->max_connections = room;
        return {};
    }
    return sdk::failed_precondition(
        config.file.string() + ": [client_edge] max_connections = " + std::to_string(wanted) + " needs " +
        std::to_string(wanted + kDescriptorReserve) + " file descriptors (" + std::to_string(kDescriptorReserve) +
        " kept for the mesh, data files and the admin listener), but the limit "
        "(RLIMIT_NOFILE) is " +
        std::to_string(limit) + ": set max_connections to at most " + std::to_string(room) +
        " or raise the hard limit (ulimit -Hn, LimitNOFILE=)");
}

}  // namespace lanchat::host

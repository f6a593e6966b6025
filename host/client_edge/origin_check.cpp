#include "client_edge/origin_check.hpp"

#include <cctype>
#include <string>

namespace lanchat::host::edge {
namespace {

// The host part of an Origin ("https://host:port") or Host ("host:port") header, lower-cased.
std::string authority_of(std::string_view value) {
    if (size_t scheme = value.find("://"); scheme != std::string_view::npos) value.remove_prefix(scheme + 3);
    if (size_t path = value.find('/'); path != std::string_view::npos) value = value.substr(0, path);
    std::string text(value);
    for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

}  // namespace

bool same_authority(std::string_view origin, std::string_view host) {
    return authority_of(origin) == authority_of(host);
}

}  // namespace lanchat::host::edge

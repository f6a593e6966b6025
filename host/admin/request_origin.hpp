// Whether a request to the admin endpoint comes from one of the operator's programs and not from a web page.
// A page in the operator's browser can reach a loopback port too: by DNS rebinding (its own name now
// resolves to 127.0.0.1, so the request carries that name as its Host) or by a cross-site form or fetch
// (which carries the page's Origin). lanchatctl, curl and Prometheus send neither.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace lanchat::host::admin {

// True for a listen address whose host is a loopback IP literal (127.0.0.0/8, ::1) or "localhost". A name
// that merely starts with "127." is not: it would bind whatever it resolves to.
bool is_loopback(std::string_view listen);

// Why the request must be refused, or nullopt. `bound` is the endpoint's own "ip:port". Over plain HTTP the
// Host header, when sent, must name a loopback host and `bound`'s port; an Origin header, when sent, must
// be this endpoint's own origin ("http://" or "https://" followed by the Host header).
std::optional<std::string> foreign_request(std::string_view host, std::string_view origin, std::string_view bound,
                                           bool https);

}  // namespace lanchat::host::admin

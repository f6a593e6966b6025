#include "client_edge/request_header.hpp"

namespace lanchat::host::edge {
namespace http = boost::beast::http;

bool parse_request_bytes(RequestParser& parser, std::string& carry, boost::system::error_code& error) {
    error = {};
    parser.header_limit(kRequestHeaderLimit);  // the same limit every time: the parser counts from the start
    if (carry.empty()) return false;
    size_t used = parser.put(boost::asio::buffer(carry), error);
    carry.erase(0, used);
    if (parser.is_done() || error == http::error::need_more) error = {};
    return parser.is_done() || error;
}

}  // namespace lanchat::host::edge

// The HTTP request a client edge connection sends before its upgrade (or instead of one), parsed from the
// bytes as they arrive, in whatever pieces.
#pragma once

#include <boost/beast/http.hpp>
#include <string>

namespace lanchat::host::edge {

using RequestParser = boost::beast::http::request_parser<boost::beast::http::empty_body>;

// The largest request header the edge reads; a longer one is answered 400.
constexpr size_t kRequestHeaderLimit = 8 * 1024;

// Parses what `carry` holds (read, not parsed yet) into `parser` and erases what it used. True when the
// request is complete (`error` empty) or the bytes are no request within the limits (`error` says why);
// false when more bytes are needed.
bool parse_request_bytes(RequestParser& parser, std::string& carry, boost::system::error_code& error);

}  // namespace lanchat::host::edge

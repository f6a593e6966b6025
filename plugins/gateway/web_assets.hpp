// The web client's files (plugins/gateway/web/), compiled into the plugin so the page always matches the
// gateway that serves it, reload included. Served with an ETag so browsers revalidate instead of refetching.
#pragma once

#include <map>
#include <string>

#include "lanchat/sdk/client_edge.hpp"

namespace lanchat::gateway {

class WebAssets {
public:
    WebAssets();
    // GET or HEAD of a known path ("/" is index.html): 200, or 304 when If-None-Match matches; else 404/405.
    sdk::HttpResponse serve(const sdk::HttpRequest& request) const;

private:
    struct Asset {
        std::string content_type;
        std::string etag;
        std::string body;
    };
    std::map<std::string, Asset> assets_;  // by path
};

}  // namespace lanchat::gateway

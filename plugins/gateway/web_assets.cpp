#include "web_assets.hpp"

#include "embedded_web.hpp"
#include "text.hpp"

namespace lanchat::gateway {
namespace {

std::string content_type_of(std::string_view name) {
    auto ends_with = [&](std::string_view suffix) {
        return name.size() >= suffix.size() && name.substr(name.size() - suffix.size()) == suffix;
    };
    if (ends_with(".html")) return "text/html; charset=utf-8";
    if (ends_with(".js") || ends_with(".mjs")) return "text/javascript; charset=utf-8";
    if (ends_with(".css")) return "text/css; charset=utf-8";
    if (ends_with(".svg")) return "image/svg+xml";
    if (ends_with(".png")) return "image/png";
    if (ends_with(".ico")) return "image/x-icon";
    return "application/octet-stream";
}

}  // namespace

WebAssets::WebAssets() {
    for (const EmbeddedFile& file : embedded_web_files()) {
        std::string body(reinterpret_cast<const char*>(file.data), file.size);
        std::string etag = "\"" + plugin_support::sha256_hex(body).substr(0, 32) + "\"";
        assets_["/" + std::string(file.name)] = {content_type_of(file.name), std::move(etag), std::move(body)};
    }
}

sdk::HttpResponse WebAssets::serve(const sdk::HttpRequest& request) const {
    if (request.method != "GET" && request.method != "HEAD") {
        return {405, {}, {}, {}, "only GET and HEAD are served here\n"};
    }
    std::string_view path = request.target.substr(0, request.target.find('?'));
    auto it = assets_.find(path == "/" ? std::string("/index.html") : std::string(path));
    if (it == assets_.end()) return {404, {}, {}, {}, "not found: " + std::string(path) + "\n"};
    const Asset& asset = it->second;
    if (request.if_none_match == asset.etag) return {304, asset.content_type, "no-cache", asset.etag, {}};
    return {200, asset.content_type, "no-cache", asset.etag, asset.body};
}

}  // namespace lanchat::gateway

// AdminServer: the operators' HTTP endpoint (health, metrics, plugins, reload). Plain HTTP only on
// loopback; on any other address HTTPS that requires a client certificate naming an operator.
// Beast stays inside admin_server.cpp (its build cost, see STACK.md).
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "admin/request_origin.hpp"
#include "host_fwd.hpp"
#include "lanchat/sdk/status.hpp"

namespace lanchat::host::admin {

struct Request {
    std::string method;  // "GET", "POST"
    std::string target;  // "/metrics"
    std::string peer;    // the client's SPIFFE ID over HTTPS; empty over loopback HTTP
};

struct Response {
    unsigned status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    std::string body;
};

using Handler = std::function<Response(const Request&)>;

// HTTPS settings: the node's certificate, and the CA and SPIFFE ID prefix a client must present.
struct Tls {
    std::filesystem::path ca;
    std::filesystem::path certificate;
    std::filesystem::path key;
    std::string operator_prefix;                    // "spiffe://<domain>/operator/"
    std::shared_ptr<net::Revocations> revocations;  // the node's; operators' certificates are checked too
};

class AdminServer {
public:
    // `tls` is required unless `listen` is loopback.
    static sdk::Result<std::unique_ptr<AdminServer>> start(const std::string& listen, std::optional<Tls> tls,
                                                           Handler handler, NodeLog& log);
    ~AdminServer();

    const std::string& address() const;
    bool https() const;

    struct Impl;

private:
    explicit AdminServer(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace lanchat::host::admin

// The node's one certificate-revocation check. The mesh server (its callers), outbound mesh channels (the
// servers they reach), the admin HTTPS endpoint (operators) and the client edge (device certificates) all
// ask the same Revocations, read from the PKI's crl.pem.
//
// The CRL must exist, be signed by the node's CA and not be past its nextUpdate: at start, a CRL that fails
// any of these stops the node (load). Replaced while the node runs by a file that fails them (or removed),
// the last good list stays in force and the problem is logged; once the list in force is past its
// nextUpdate, every peer certificate is refused, with a log line saying why, until a good CRL is back
// (`lanchatctl pki revoke` re-signs it). A missing CRL is never "nothing revoked".
#pragma once

#include <openssl/x509.h>

#include <boost/asio/ssl/context.hpp>
#include <ctime>
#include <filesystem>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

#include "host_fwd.hpp"
#include "lanchat/sdk/status.hpp"

namespace lanchat::host::net {

class Revocations {
public:
    // Reads and checks `crl` against the CA certificate `ca`; FAILED_PRECONDITION naming the file and the fix.
    // `log` (borrowed, outliving this) hears of CRLs replaced by bad ones and of refused peers.
    static sdk::Result<std::shared_ptr<Revocations>> load(const std::filesystem::path& crl,
                                                          const std::filesystem::path& ca, NodeLog& log);

    // Empty when `certificate` may pass; otherwise why it is refused (revoked, or the CRL expired).
    std::string refusal(X509* certificate);

    // Logs that `endpoint` refused a peer for `why` (a revoked certificate is rare and worth a line).
    void report(std::string_view endpoint, const std::string& why);

private:
    struct Loaded {
        std::set<std::string> serials;  // hex
        time_t next_update = 0;         // 0: the CRL names none
    };
    Revocations(std::filesystem::path crl, std::filesystem::path ca, NodeLog& log);
    sdk::Result<Loaded> read() const;
    void refresh();  // with mutex_

    const std::filesystem::path crl_;
    const std::filesystem::path ca_;
    NodeLog& log_;
    std::mutex mutex_;
    Loaded in_force_;
    timespec seen_{};  // the modification time of the file last looked at
    bool complained_ = false;
};

// Makes `tls` refuse a peer (client) certificate that `revocations` refuses, logging which `endpoint` did.
void refuse_revoked_peers(boost::asio::ssl::context& tls, std::shared_ptr<Revocations> revocations,
                          std::string endpoint);

}  // namespace lanchat::host::net

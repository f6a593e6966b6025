// The node's one certificate-revocation check. The mesh server (its callers), outbound mesh channels (the
// servers they reach), the admin HTTPS endpoint (operators) and the client edge (device certificates) all
// ask the same Revocations, read from the PKI's crl.pem.
//
// The CRL must exist, be signed by the node's CA and not be past its nextUpdate: at start, a CRL that fails
// any of these stops the node (load). Replaced while the node runs by a file that fails them, by a list older
// than the one in force (an earlier lastUpdate: it could un-revoke), or removed, the last good list stays in
// force and the problem is logged; once the list in force is past its
// nextUpdate, every peer certificate is refused, with a log line saying why, until a good CRL is back
// (`lanchatctl pki revoke` re-signs it). A missing CRL is never "nothing revoked".
#pragma once

#include <openssl/x509.h>
#include <sys/types.h>

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
        time_t last_update = 0;
        time_t next_update = 0;  // 0: the CRL names none
    };
    // What the file looked like when last read: a rewrite within one tick of the clock still shows as a change
    // of inode (lanchatctl writes a new file and renames it) or size.
    struct Seen {
        timespec modified{};
        ino_t inode = 0;
        off_t size = -1;
        bool operator==(const Seen& other) const {
            return modified.tv_sec == other.modified.tv_sec && modified.tv_nsec == other.modified.tv_nsec &&
                   inode == other.inode && size == other.size;
        }
    };
    sdk::Status replaceable(const Loaded& replacement) const;  // with mutex_
    Revocations(std::filesystem::path crl, std::filesystem::path ca, NodeLog& log);
    sdk::Result<Loaded> read() const;
    void refresh();  // with mutex_

    const std::filesystem::path crl_;
    const std::filesystem::path ca_;
    NodeLog& log_;
    std::mutex mutex_;
    Loaded in_force_;
    Seen seen_;
    bool complained_ = false;
};

// Makes `tls` refuse a peer (client) certificate that `revocations` refuses, logging which `endpoint` did.
void refuse_revoked_peers(boost::asio::ssl::context& tls, std::shared_ptr<Revocations> revocations,
                          std::string endpoint);

}  // namespace lanchat::host::net

// The local PKI: a root CA on disk that issues SPIFFE X.509 certificates to nodes, services, operators and
// devices, and revokes them with a CRL. OpenSSL 3 APIs only; nothing shells out.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "lanchat/sdk/status.hpp"

namespace lanchat::pki {

enum class KeyAlgorithm { ecdsa_p256, ed25519 };

// The files of a PKI directory. ca.key may be moved offline after issuing; only init, issue and revoke
// need it.
struct PkiLayout {
    std::filesystem::path dir;
    std::filesystem::path ca_certificate() const { return dir / "ca.crt"; }
    std::filesystem::path ca_key() const { return dir / "ca.key"; }
    std::filesystem::path crl() const { return dir / "crl.pem"; }
    std::filesystem::path node_dir(const std::string& node) const { return dir / "nodes" / node; }
    std::filesystem::path client_dir() const { return dir / "clients"; }
};

// The DNS name under which a service is reached: "<service>.lan-chat.svc".
std::string service_dns_name(const std::string& service);

// The trust domain named by the CA certificate's spiffe:// URI.
sdk::Result<std::string> trust_domain_of(const std::filesystem::path& ca_certificate);

struct InitOptions {
    std::string trust_domain;  // e.g. "lan-chat.local"
    KeyAlgorithm algorithm = KeyAlgorithm::ecdsa_p256;
    int days = 3650;
};
// Creates ca.crt, ca.key (mode 0600) and an empty crl.pem; refuses to overwrite any of them.
sdk::Status init_ca(const PkiLayout& pki, const InitOptions& options);

struct IssueOptions {
    KeyAlgorithm algorithm = KeyAlgorithm::ecdsa_p256;
    int days = 90;
    // Node certificates only: the addresses people's clients use for this node (IP literals become IP SANs,
    // host names DNS SANs), so a browser that trusts the CA also accepts https://<address>/.
    std::vector<std::string> addresses;
};

// What one issue call wrote: pairs of certificate and key files.
struct Issued {
    std::vector<std::filesystem::path> certificates;
};

// For node `node` hosting `services`: nodes/<node>/node.{crt,key}, the server certificate (DNS SANs of every
// service, URI SAN spiffe://<td>/node/<node>), and per service <service>.{crt,key}, its identity when calling
// others (URI SAN spiffe://<td>/svc/<service>, DNS SAN <service>.lan-chat.svc); options.addresses are added to
// the server certificate. Existing files are replaced:
// issuing again is how certificates are rotated.
sdk::Result<Issued> issue_node(const PkiLayout& pki, const std::string& node, const std::vector<std::string>& services,
                               const IssueOptions& options);

enum class ClientKind { operator_user, device };
// clients/<kind>-<name>.{crt,key}: URI SAN spiffe://<td>/operator/<name> or spiffe://<td>/device/<name>,
// usable only as a TLS client.
sdk::Result<Issued> issue_client(const PkiLayout& pki, ClientKind kind, const std::string& name,
                                 const IssueOptions& options);

// Adds the certificate's serial to crl.pem (re-signed by the CA).
sdk::Status revoke(const PkiLayout& pki, const std::filesystem::path& certificate);

// A human-readable description of a certificate: subject, issuer, serial, validity, SANs, SPIFFE ID, usage,
// and, when `pki` is given, whether the CA verifies it and whether it is revoked.
sdk::Result<std::string> inspect(const std::filesystem::path& certificate, const std::optional<PkiLayout>& pki);

}  // namespace lanchat::pki

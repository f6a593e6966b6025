#include "lanchat/pki/certificate_authority.hpp"

#include <arpa/inet.h>
#include <openssl/pem.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <sstream>

#include "lanchat/pki/openssl_handles.hpp"
#include "lanchat/pki/serial_number.hpp"
#include "lanchat/pki/subject_names.hpp"
#include "pem_files.hpp"

namespace lanchat::pki {
namespace fs = std::filesystem;
namespace {

constexpr const char* kServiceDomain = ".lan-chat.svc";

// ---- names ----

bool is_name(const std::string& name, bool dns_label) {
    if (name.empty() || name.size() > 63) return false;
    for (char c : name) {
        bool ok = std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) ||
                  c == '-' || (!dns_label && (c == '_' || c == '.'));
        if (!ok) return false;
    }
    return name.front() != '-' && name.back() != '-';
}

sdk::Status check_name(const std::string& what, const std::string& name, bool dns_label) {
    if (is_name(name, dns_label)) return {};
    return sdk::invalid_argument(what + " '" + name + "' is not valid: use 1 to 63 lowercase letters, digits" +
                                 (dns_label ? " and '-'" : ", '-', '_' and '.'") + ", not starting or ending with '-'");
}

// ---- keys ----

sdk::Result<Key> generate_key(KeyAlgorithm algorithm) {
    EVP_PKEY* key = algorithm == KeyAlgorithm::ed25519 ? EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")
                                                       : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
    if (key == nullptr) return sdk::internal_error("generating a key failed: " + openssl_error());
    return Key(key);
}

// Ed25519 signs without a separate digest.
const EVP_MD* digest_for(EVP_PKEY* key) { return EVP_PKEY_get_id(key) == EVP_PKEY_ED25519 ? nullptr : EVP_sha256(); }

// ---- certificates ----

sdk::Status add_extension(X509* certificate, X509* issuer, int nid, const std::string& value) {
    X509V3_CTX context;
    X509V3_set_ctx_nodb(&context);
    X509V3_set_ctx(&context, issuer, certificate, nullptr, nullptr, 0);
    Extension extension(X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str()));
    if (!extension || X509_add_ext(certificate, extension.get(), -1) != 1) {
        return sdk::internal_error(std::string("adding extension ") + OBJ_nid2sn(nid) + " = " + value +
                                   " failed: " + openssl_error());
    }
    return {};
}

struct Profile {
    std::string common_name;
    std::string subject_alt_names;  // "URI:...,DNS:..." (exactly one URI)
    bool ca = false;
    std::string extended_key_usage;  // empty for a CA
    int days = 90;
};

// Builds and signs a certificate for `subject_key`; a CA profile with no issuer is self-signed.
sdk::Result<Certificate> build(const Profile& profile, EVP_PKEY* subject_key, X509* issuer, EVP_PKEY* issuer_key) {
    Certificate certificate(X509_new());
    X509_set_version(certificate.get(), 2);
    if (sdk::Status status = set_random_serial(certificate.get()); !status.ok()) return status;
    X509_gmtime_adj(X509_getm_notBefore(certificate.get()), -300);  // tolerate small clock differences
    X509_gmtime_adj(X509_getm_notAfter(certificate.get()), static_cast<long>(profile.days) * 86400);
    X509_NAME* name = X509_get_subject_name(certificate.get());
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>("lanchat"), -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(profile.common_name.c_str()), -1, -1, 0);
    X509* signer = issuer != nullptr ? issuer : certificate.get();
    X509_set_issuer_name(certificate.get(), X509_get_subject_name(signer));
    X509_set_pubkey(certificate.get(), subject_key);

    std::vector<std::pair<int, std::string>> extensions = {
        {NID_basic_constraints, profile.ca ? "critical,CA:TRUE,pathlen:0" : "critical,CA:FALSE"},
        {NID_key_usage, profile.ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature"},
        {NID_subject_key_identifier, "hash"},
        {NID_authority_key_identifier, "keyid:always"},
        {NID_subject_alt_name, profile.subject_alt_names},
    };
    if (!profile.extended_key_usage.empty()) extensions.emplace_back(NID_ext_key_usage, profile.extended_key_usage);
    for (const auto& [nid, value] : extensions) {
        if (sdk::Status status = add_extension(certificate.get(), signer, nid, value); !status.ok()) return status;
    }
    if (X509_sign(certificate.get(), issuer_key, digest_for(issuer_key)) <= 0) {
        return sdk::internal_error("signing the certificate failed: " + openssl_error());
    }
    return certificate;
}

struct Authority {
    Certificate certificate;
    Key key;
    std::string trust_domain;
};

sdk::Result<Authority> load_authority(const PkiLayout& pki) {
    auto certificate = read_certificate(pki.ca_certificate());
    if (!certificate.ok())
        return sdk::Status(certificate.status().code(),
                           certificate.status().message() + " (run 'lanchatctl pki init' first?)");
    auto key = read_key(pki.ca_key());
    if (!key.ok())
        return sdk::Status(key.status().code(), key.status().message() + " (the CA key is needed to issue and revoke)");
    if (X509_check_private_key(certificate->get(), key->get()) != 1) {
        ERR_clear_error();
        return sdk::invalid_argument(pki.ca_key().string() + " does not belong to " + pki.ca_certificate().string());
    }
    std::vector<std::string> uris = uri_sans(certificate->get());
    const std::string prefix = "spiffe://";
    if (uris.size() != 1 || uris[0].rfind(prefix, 0) != 0) {
        return sdk::invalid_argument(pki.ca_certificate().string() + " carries no spiffe://<trust-domain> URI");
    }
    return Authority{std::move(*certificate), std::move(*key), uris[0].substr(prefix.size())};
}

// Issues one certificate + key pair at `base`.crt / `base`.key.
sdk::Status issue_pair(const Authority& authority, const fs::path& base, Profile profile, const IssueOptions& options,
                       Issued& issued) {
    auto key = generate_key(options.algorithm);
    if (!key.ok()) return key.status();
    profile.days = options.days;
    auto certificate = build(profile, key->get(), authority.certificate.get(), authority.key.get());
    if (!certificate.ok()) return certificate.status();
    fs::path certificate_path = base;
    certificate_path += ".crt";
    fs::path key_path = base;
    key_path += ".key";
    // Key first: a watcher that sees the new certificate must find its key already in place.
    if (sdk::Status status = write_key(key_path, key->get(), false); !status.ok()) return status;
    if (sdk::Status status = write_certificate(certificate_path, certificate->get(), false); !status.ok())
        return status;
    issued.certificates.push_back(certificate_path);
    return {};
}

sdk::Status check_days(int days) {
    if (days < 1 || days > 36500)
        return sdk::invalid_argument("--days must be between 1 and 36500, got " + std::to_string(days));
    return {};
}

std::string time_text(const ASN1_TIME* time) {
    std::tm parts{};
    if (ASN1_TIME_to_tm(time, &parts) != 1) return "(unreadable time)";
    char buffer[32];
    std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &parts);
    return buffer;
}

std::string name_text(const X509_NAME* name) {
    Bio bio(BIO_new(BIO_s_mem()));
    X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253);
    char* data = nullptr;
    long size = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<size_t>(size));
}

std::string serial_text(const ASN1_INTEGER* serial) {
    std::string hex = serial_hex(serial);
    return hex.empty() ? "?" : hex;
}

std::string join(const std::vector<std::string>& items) {
    std::string text;
    for (const std::string& item : items) text += (text.empty() ? "" : ", ") + item;
    return text.empty() ? "(none)" : text;
}

}  // namespace

std::string service_dns_name(const std::string& service) { return service + kServiceDomain; }

sdk::Result<std::string> trust_domain_of(const fs::path& ca_certificate) {
    auto certificate = read_certificate(ca_certificate);
    if (!certificate.ok()) {
        return sdk::Status(sdk::Code::failed_precondition,
                           certificate.status().message() + "; create the PKI with 'lanchatctl pki init'");
    }
    std::string id = spiffe_id(certificate->get());
    if (id.empty()) return sdk::invalid_argument(ca_certificate.string() + ": the CA names no spiffe:// trust domain");
    return id.substr(std::string("spiffe://").size());
}

sdk::Status init_ca(const PkiLayout& pki, const InitOptions& options) {
    if (sdk::Status status = check_name("trust domain", options.trust_domain, false); !status.ok()) return status;
    if (sdk::Status status = check_days(options.days); !status.ok()) return status;
    for (const fs::path& file : {pki.ca_certificate(), pki.ca_key(), pki.crl()}) {
        std::error_code error;
        if (fs::exists(file, error)) {
            return sdk::Status(sdk::Code::already_exists, file.string() +
                                                              " already exists; refusing to overwrite "
                                                              "an existing PKI");
        }
    }
    auto key = generate_key(options.algorithm);
    if (!key.ok()) return key.status();
    Profile profile{"lanchat root CA (" + options.trust_domain + ")", "URI:spiffe://" + options.trust_domain, true, "",
                    options.days};
    auto certificate = build(profile, key->get(), nullptr, key->get());
    if (!certificate.ok()) return certificate.status();

    Crl crl(X509_CRL_new());
    X509_CRL_set_version(crl.get(), 1);
    X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(certificate->get()));
    Asn1Time now(ASN1_TIME_adj(nullptr, std::time(nullptr), 0, 0));
    Asn1Time next(ASN1_TIME_adj(nullptr, std::time(nullptr), options.days, 0));
    X509_CRL_set1_lastUpdate(crl.get(), now.get());
    X509_CRL_set1_nextUpdate(crl.get(), next.get());
    if (X509_CRL_sign(crl.get(), key->get(), digest_for(key->get())) <= 0) {
        return sdk::internal_error("signing the CRL failed: " + openssl_error());
    }
    if (sdk::Status status = write_key(pki.ca_key(), key->get(), true); !status.ok()) return status;
    if (sdk::Status status = write_certificate(pki.ca_certificate(), certificate->get(), true); !status.ok())
        return status;
    return write_crl(pki.crl(), crl.get(), true);
}

namespace {

// "IP:<literal>" or "DNS:<name>" for one address clients use; an error for anything else.
sdk::Result<std::string> address_name(const std::string& address) {
    unsigned char binary[16];
    if (inet_pton(AF_INET, address.c_str(), binary) == 1 || inet_pton(AF_INET6, address.c_str(), binary) == 1) {
        return "IP:" + address;
    }
    // A host name: dot-separated DNS labels.
    bool host_name = address.size() <= 253;
    for (size_t start = 0; host_name && start <= address.size();) {
        size_t dot = std::min(address.find('.', start), address.size());
        host_name = is_name(address.substr(start, dot - start), true);
        start = dot + 1;
    }
    if (!host_name) {
        return sdk::invalid_argument("address '" + address + "' is neither an IP address nor a lowercase host name");
    }
    return "DNS:" + address;
}

}  // namespace

sdk::Result<Issued> issue_node(const PkiLayout& pki, const std::string& node, const std::vector<std::string>& services,
                               const IssueOptions& options) {
    if (sdk::Status status = check_name("node name", node, false); !status.ok()) return status;
    if (services.empty()) return sdk::invalid_argument("a node needs at least one service (--service NAME)");
    for (const std::string& service : services) {
        if (sdk::Status status = check_name("service name", service, true); !status.ok()) return status;
    }
    if (sdk::Status status = check_days(options.days); !status.ok()) return status;
    auto authority = load_authority(pki);
    if (!authority.ok()) return authority.status();
    const std::string spiffe = "spiffe://" + authority->trust_domain;

    Issued issued;
    std::string node_names = "URI:" + spiffe + "/node/" + node;
    for (const std::string& service : services) node_names += ",DNS:" + service_dns_name(service);
    for (const std::string& address : options.addresses) {
        auto named = address_name(address);
        if (!named.ok()) return named.status();
        node_names += "," + *named;
    }
    Profile server{node, node_names, false, "serverAuth,clientAuth"};
    if (sdk::Status status = issue_pair(*authority, pki.node_dir(node) / "node", server, options, issued);
        !status.ok()) {
        return status;
    }
    for (const std::string& service : services) {
        Profile identity{service + "@" + node,
                         "URI:" + spiffe + "/svc/" + service + ",DNS:" + service_dns_name(service), false,
                         "serverAuth,clientAuth"};
        if (sdk::Status status = issue_pair(*authority, pki.node_dir(node) / service, identity, options, issued);
            !status.ok()) {
            return status;
        }
    }
    return issued;
}

sdk::Result<Issued> issue_client(const PkiLayout& pki, ClientKind kind, const std::string& name,
                                 const IssueOptions& options) {
    const std::string kind_name = kind == ClientKind::operator_user ? "operator" : "device";
    if (sdk::Status status = check_name(kind_name + " name", name, false); !status.ok()) return status;
    if (sdk::Status status = check_days(options.days); !status.ok()) return status;
    auto authority = load_authority(pki);
    if (!authority.ok()) return authority.status();
    Issued issued;
    Profile client{kind_name + ":" + name, "URI:spiffe://" + authority->trust_domain + "/" + kind_name + "/" + name,
                   false, "clientAuth"};
    if (sdk::Status status =
            issue_pair(*authority, pki.client_dir() / (kind_name + "-" + name), client, options, issued);
        !status.ok()) {
        return status;
    }
    return issued;
}

sdk::Status revoke(const PkiLayout& pki, const fs::path& certificate_path) {
    auto authority = load_authority(pki);
    if (!authority.ok()) return authority.status();
    auto certificate = read_certificate(certificate_path);
    if (!certificate.ok()) return certificate.status();
    if (X509_check_issued(authority->certificate.get(), certificate->get()) != X509_V_OK) {
        return sdk::invalid_argument(certificate_path.string() + " was not issued by " + pki.ca_certificate().string());
    }
    auto crl = read_crl(pki.crl());
    if (!crl.ok()) return crl.status();
    const ASN1_INTEGER* serial = X509_get0_serialNumber(certificate->get());
    X509_REVOKED* existing = nullptr;
    if (X509_CRL_get0_by_serial(crl->get(), &existing, serial) == 1) {
        return sdk::Status(sdk::Code::already_exists,
                           certificate_path.string() + " (serial " + serial_text(serial) + ") is already revoked");
    }
    Revoked entry(X509_REVOKED_new());
    Asn1Time now(ASN1_TIME_adj(nullptr, std::time(nullptr), 0, 0));
    X509_REVOKED_set_serialNumber(entry.get(), const_cast<ASN1_INTEGER*>(serial));
    X509_REVOKED_set_revocationDate(entry.get(), now.get());
    if (X509_CRL_add0_revoked(crl->get(), entry.get()) != 1)
        return sdk::internal_error("CRL update failed: " + openssl_error());
    entry.release();  // now owned by the CRL
    X509_CRL_set1_lastUpdate(crl->get(), now.get());
    X509_CRL_sort(crl->get());
    if (X509_CRL_sign(crl->get(), authority->key.get(), digest_for(authority->key.get())) <= 0) {
        return sdk::internal_error("signing the CRL failed: " + openssl_error());
    }
    return write_crl(pki.crl(), crl->get(), false);
}

sdk::Result<std::string> inspect(const fs::path& certificate_path, const std::optional<PkiLayout>& pki) {
    auto loaded = read_certificate(certificate_path);
    if (!loaded.ok()) return loaded.status();
    X509* certificate = loaded->get();
    std::ostringstream out;
    auto line = [&out](const char* label, const std::string& value) { out << label << value << "\n"; };
    line("file:        ", certificate_path.string());
    line("subject:     ", name_text(X509_get_subject_name(certificate)));
    line("issuer:      ", name_text(X509_get_issuer_name(certificate)));
    line("serial:      ", serial_text(X509_get0_serialNumber(certificate)));
    const ASN1_TIME* not_before = X509_get0_notBefore(certificate);
    const ASN1_TIME* not_after = X509_get0_notAfter(certificate);
    std::string state = X509_cmp_current_time(not_after) < 0    ? "EXPIRED"
                        : X509_cmp_current_time(not_before) > 0 ? "not yet valid"
                                                                : "valid now";
    line("validity:    ", time_text(not_before) + " to " + time_text(not_after) + " (" + state + ")");
    line("CA:          ", X509_check_ca(certificate) != 0 ? "yes" : "no");
    uint32_t usage = X509_get_key_usage(certificate);
    std::vector<std::string> usages;
    if (usage & KU_DIGITAL_SIGNATURE) usages.push_back("digitalSignature");
    if (usage & KU_KEY_CERT_SIGN) usages.push_back("keyCertSign");
    if (usage & KU_CRL_SIGN) usages.push_back("cRLSign");
    line("key usage:   ", join(usages));
    uint32_t extended = X509_get_extended_key_usage(certificate);
    std::vector<std::string> purposes;
    if (extended & XKU_SSL_SERVER) purposes.push_back("TLS server");
    if (extended & XKU_SSL_CLIENT) purposes.push_back("TLS client");
    line("purposes:    ", join(purposes));
    line("DNS names:   ", join(dns_sans(certificate)));
    if (std::vector<std::string> addresses = ip_sans(certificate); !addresses.empty()) {
        line("IP addresses:", " " + join(addresses));
    }
    std::vector<std::string> uris = uri_sans(certificate);
    line("URIs:        ", join(uris));
    line("SPIFFE ID:   ",
         uris.size() == 1 && uris[0].rfind("spiffe://", 0) == 0 ? uris[0] : "(none: needs exactly one spiffe:// URI)");
    EVP_PKEY* key = X509_get0_pubkey(certificate);
    line("key:         ", key == nullptr                             ? "?"
                          : EVP_PKEY_get_id(key) == EVP_PKEY_ED25519 ? "Ed25519"
                          : EVP_PKEY_get_id(key) == EVP_PKEY_EC      ? "ECDSA P-256"
                                                                     : OBJ_nid2sn(EVP_PKEY_get_id(key)));
    if (pki) {
        auto ca = read_certificate(pki->ca_certificate());
        if (!ca.ok()) return ca.status();
        Store store(X509_STORE_new());
        X509_STORE_add_cert(store.get(), ca->get());
        StoreContext context(X509_STORE_CTX_new());
        X509_STORE_CTX_init(context.get(), store.get(), certificate, nullptr);
        bool verified = X509_verify_cert(context.get()) == 1;
        line("verified:    ",
             verified ? "yes, by " + pki->ca_certificate().string()
                      : std::string("no: ") + X509_verify_cert_error_string(X509_STORE_CTX_get_error(context.get())));
        ERR_clear_error();
        auto crl = read_crl(pki->crl());
        X509_REVOKED* revoked = nullptr;
        if (!crl.ok()) {
            line("revoked:     ", "unknown (" + crl.status().message() + ")");
        } else if (X509_CRL_get0_by_serial(crl->get(), &revoked, X509_get0_serialNumber(certificate)) == 1) {
            line("revoked:     ", "yes, since " + time_text(X509_REVOKED_get0_revocationDate(revoked)));
        } else {
            line("revoked:     ", "no");
        }
    }
    return out.str();
}

}  // namespace lanchat::pki

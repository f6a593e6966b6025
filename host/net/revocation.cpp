#include "net/revocation.hpp"

#include <openssl/pem.h>
#include <sys/stat.h>

#include "lanchat/pki/openssl_handles.hpp"
#include "lanchat/pki/serial_number.hpp"
#include "logging/log.hpp"

namespace lanchat::host::net {
namespace fs = std::filesystem;
namespace {

template <class Handle, class Reader>
Handle read_pem(const fs::path& file, Reader reader) {
    FILE* in = std::fopen(file.c_str(), "r");
    if (in == nullptr) return Handle();
    Handle read(reader(in, nullptr, nullptr, nullptr));
    std::fclose(in);
    return read;
}

// Seconds since the epoch of an ASN.1 time.
time_t seconds_of(const ASN1_TIME* time) {
    tm parts{};
    if (ASN1_TIME_to_tm(time, &parts) != 1) return 0;
    return timegm(&parts);
}

std::string utc_text(time_t seconds) {
    char text[32];
    tm parts{};
    gmtime_r(&seconds, &parts);
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
    return text;
}

}  // namespace

Revocations::Revocations(fs::path crl, fs::path ca, NodeLog& log)
    : crl_(std::move(crl)), ca_(std::move(ca)), log_(log) {}

sdk::Result<std::shared_ptr<Revocations>> Revocations::load(const fs::path& crl, const fs::path& ca, NodeLog& log) {
    std::shared_ptr<Revocations> revocations(new Revocations(crl, ca, log));
    struct stat info {};
    if (::stat(crl.c_str(), &info) == 0) revocations->seen_ = {info.st_mtim, info.st_ino, info.st_size};
    auto loaded = revocations->read();
    if (!loaded.ok()) return loaded.status();
    if (loaded->next_update != 0 && loaded->next_update < std::time(nullptr)) {
        return sdk::failed_precondition("the CRL " + crl.string() + " expired at " + utc_text(loaded->next_update) +
                                        " (its nextUpdate): re-sign it with 'lanchatctl pki revoke' or issue a new "
                                        "one from the CA, then start the node");
    }
    revocations->in_force_ = std::move(loaded).value();
    return revocations;
}

sdk::Result<Revocations::Loaded> Revocations::read() const {
    const std::string where = "the CRL " + crl_.string();
    auto crl = read_pem<pki::Crl>(crl_, PEM_read_X509_CRL);
    if (!crl) {
        return sdk::failed_precondition(where +
                                        " is missing or unreadable; every node needs the PKI's crl.pem (made by "
                                        "'lanchatctl pki init'; copy it from the CA's directory)");
    }
    auto ca = read_pem<pki::Certificate>(ca_, PEM_read_X509);
    if (!ca) return sdk::failed_precondition("the CA certificate " + ca_.string() + " is missing or unreadable");
    EVP_PKEY* ca_key = X509_get0_pubkey(ca.get());
    if (X509_NAME_cmp(X509_CRL_get_issuer(crl.get()), X509_get_subject_name(ca.get())) != 0 || ca_key == nullptr ||
        X509_CRL_verify(crl.get(), ca_key) != 1) {
        return sdk::failed_precondition(where + " is not signed by the CA " + ca_.string() +
                                        ": use the crl.pem of this PKI ('lanchatctl pki revoke' signs it)");
    }
    Loaded loaded;
    if (const ASN1_TIME* last = X509_CRL_get0_lastUpdate(crl.get())) loaded.last_update = seconds_of(last);
    if (const ASN1_TIME* next = X509_CRL_get0_nextUpdate(crl.get())) loaded.next_update = seconds_of(next);
    STACK_OF(X509_REVOKED)* entries = X509_CRL_get_REVOKED(crl.get());
    for (int i = 0; i < sk_X509_REVOKED_num(entries); ++i) {
        loaded.serials.insert(pki::serial_hex(X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(entries, i))));
    }
    return loaded;
}

void Revocations::refresh() {
    struct stat info {};
    Seen now;
    if (::stat(crl_.c_str(), &info) == 0) now = {info.st_mtim, info.st_ino, info.st_size};
    if (now == seen_) return;
    seen_ = now;
    auto loaded = read();
    sdk::Status usable = loaded.ok() ? replaceable(*loaded) : loaded.status();
    if (!usable.ok()) {
        // An attacker who can delete or swap the file must not undo a revocation: the last good list stays.
        log_.error("kept the last good certificate revocation list", {{"reason", usable.message()}});
        return;
    }
    in_force_ = std::move(loaded).value();
    complained_ = false;
}

sdk::Status Revocations::replaceable(const Loaded& replacement) const {
    if (replacement.next_update != 0 && replacement.next_update < std::time(nullptr)) {
        return sdk::failed_precondition("the new " + crl_.string() + " expired at " +
                                        utc_text(replacement.next_update));
    }
    if (replacement.last_update < in_force_.last_update) {
        return sdk::failed_precondition("the new " + crl_.string() + " (of " + utc_text(replacement.last_update) +
                                        ") is older than the list in force (of " + utc_text(in_force_.last_update) +
                                        ")");
    }
    return {};
}

std::string Revocations::refusal(X509* certificate) {
    std::lock_guard lock(mutex_);
    refresh();
    if (in_force_.next_update != 0 && in_force_.next_update < std::time(nullptr)) {
        std::string why = "the CRL " + crl_.string() + " expired at " + utc_text(in_force_.next_update) +
                          ": every certificate is refused until it is re-signed ('lanchatctl pki revoke')";
        if (!std::exchange(complained_, true)) log_.error(why);
        return why;
    }
    if (in_force_.serials.count(pki::serial_hex(X509_get0_serialNumber(certificate))) != 0) {
        return "the certificate (serial " + pki::serial_hex(X509_get0_serialNumber(certificate)) + ") is revoked";
    }
    return {};
}

void Revocations::report(std::string_view endpoint, const std::string& why) {
    log_.warn("refused a TLS peer", {{"endpoint", std::string(endpoint)}, {"reason", why}});
}

void refuse_revoked_peers(boost::asio::ssl::context& tls, std::shared_ptr<Revocations> revocations,
                          std::string endpoint) {
    tls.set_verify_callback([revocations = std::move(revocations), endpoint = std::move(endpoint)](
                                bool verified, boost::asio::ssl::verify_context& context) {
        X509_STORE_CTX* store = context.native_handle();
        if (!verified || X509_STORE_CTX_get_error_depth(store) != 0) return verified;  // the chain is OpenSSL's
        std::string why = revocations->refusal(X509_STORE_CTX_get_current_cert(store));
        if (why.empty()) return true;
        revocations->report(endpoint, why);
        X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REVOKED);
        return false;
    });
}

}  // namespace lanchat::host::net

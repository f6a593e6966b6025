#include "client_edge/server_tls.hpp"

#include <openssl/ssl.h>

#include "net/revocation.hpp"
#include "net/server_tls_policy.hpp"

namespace lanchat::host::edge {

namespace ssl = boost::asio::ssl;

sdk::Status configure_server_tls(ssl::context& tls, const ClientEdgeConfig& config, const std::filesystem::path& ca,
                                 std::shared_ptr<net::Revocations> revocations) {
    boost::system::error_code error;
    if (sdk::Status policy = net::apply_server_tls_policy(tls.native_handle(), "[client_edge]"); !policy.ok())
        return policy;
    tls.use_certificate_chain_file(config.certificate.string(), error);
    if (error) {
        return sdk::failed_precondition("[client_edge] certificate " + config.certificate.string() + ": " +
                                        error.message());
    }
    tls.use_private_key_file(config.key.string(), ssl::context::pem, error);
    if (error) return sdk::failed_precondition("[client_edge] key " + config.key.string() + ": " + error.message());
    tls.load_verify_file(ca.string(), error);
    if (error) return sdk::failed_precondition("[client_edge] CA " + ca.string() + ": " + error.message());
    // The chain every handshake sends, built once: left to OpenSSL, each handshake would verify our own
    // certificate against the CA again to build it (an ECDSA check per connection). Without the root, which a
    // client must hold already to trust the chain. A certificate from another CA (`certificate` names an
    // operator's) keeps what its file brings, as before: errors are ignored here, the client judges the chain.
    SSL_CTX* native = tls.native_handle();
    if (SSL_CTX_build_cert_chain(native, SSL_BUILD_CHAIN_FLAG_NO_ROOT | SSL_BUILD_CHAIN_FLAG_IGNORE_ERROR) <= 0) {
        return sdk::internal_error("[client_edge] cannot build the certificate chain of " +
                                   config.certificate.string());
    }
    SSL_CTX_set_mode(native, SSL_MODE_NO_AUTO_CHAIN);
    // A client certificate is optional (it binds the session to a device); one that is sent must verify.
    tls.set_verify_mode(ssl::verify_peer);
    net::refuse_revoked_peers(tls, std::move(revocations), "[client_edge]");
    static const unsigned char kSessionContext[] = "lanchat-client-edge";
    SSL_CTX_set_session_id_context(native, kSessionContext, sizeof kSessionContext - 1);
    // One TLS 1.3 ticket per connection, not OpenSSL's two: a client holds one connection, and a resumed one
    // gets a fresh ticket. Each ticket costs the handshake a copy of the session, encrypted.
    SSL_CTX_set_num_tickets(native, 1);
    SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);  // idle connections keep no TLS buffers
    // A TCP close without close_notify is an end of stream (as OpenSSL 1.1 reported it), not a TLS error; and
    // no renegotiation (the policy's too): a write must never need to read.
    SSL_CTX_set_options(native, SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_RENEGOTIATION);
    return {};
}

}  // namespace lanchat::host::edge

#include "lanchat/pki/subject_names.hpp"

#include <arpa/inet.h>

#include "lanchat/pki/openssl_handles.hpp"

namespace lanchat::pki {
namespace {

// Calls `visit(entry)` for each subject alternative name of `type`.
template <class Visit>
void for_each_name(X509* certificate, int type, Visit visit) {
    GeneralNames names(
        static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr)));
    for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
        const GENERAL_NAME* entry = sk_GENERAL_NAME_value(names.get(), i);
        if (entry->type == type) visit(*entry);
    }
}

std::vector<std::string> names_of(X509* certificate, int type) {
    std::vector<std::string> found;
    for_each_name(certificate, type, [&](const GENERAL_NAME& entry) {
        const ASN1_IA5STRING* text = type == GEN_URI ? entry.d.uniformResourceIdentifier : entry.d.dNSName;
        found.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(text)), ASN1_STRING_length(text));
    });
    return found;
}

}  // namespace

std::vector<std::string> uri_sans(X509* certificate) { return names_of(certificate, GEN_URI); }
std::vector<std::string> dns_sans(X509* certificate) { return names_of(certificate, GEN_DNS); }

std::vector<std::string> ip_sans(X509* certificate) {
    std::vector<std::string> found;
    for_each_name(certificate, GEN_IPADD, [&](const GENERAL_NAME& entry) {
        const int length = ASN1_STRING_length(entry.d.iPAddress);
        char text[INET6_ADDRSTRLEN];
        if ((length == 4 || length == 16) &&
            inet_ntop(length == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(entry.d.iPAddress), text, sizeof text)) {
            found.emplace_back(text);
        }
    });
    return found;
}

std::string spiffe_id(X509* certificate) {
    std::vector<std::string> uris = uri_sans(certificate);
    return uris.size() == 1 && uris[0].rfind("spiffe://", 0) == 0 ? uris[0] : std::string();
}

}  // namespace lanchat::pki

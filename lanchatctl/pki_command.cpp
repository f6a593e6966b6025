#include "pki_command.hpp"

#include <iostream>

#include "lanchat/cli/arguments.hpp"
#include "lanchat/pki/certificate_authority.hpp"

namespace lanchat::ctl {
namespace pki = lanchat::pki;

const char* const kPkiUsage =
    "lanchatctl pki init --dir DIR --trust-domain DOMAIN [--algorithm ecdsa-p256|ed25519] [--days N]\n"
    "    creates the root CA (ca.crt, ca.key with mode 0600) and an empty CRL; refuses to overwrite\n"
    "lanchatctl pki issue --dir DIR --node NAME --service SERVICE[,SERVICE...] [--address HOST[,HOST...]]\n"
    "                     [--algorithm A] [--days N]\n"
    "    nodes/NAME/node.{crt,key}: the node's server certificate (DNS SANs <service>.lan-chat.svc, and each\n"
    "    --address people's clients use: an IP address or a host name);\n"
    "    nodes/NAME/SERVICE.{crt,key}: each service's identity, spiffe://DOMAIN/svc/SERVICE.\n"
    "    Issuing again replaces the files: that is how certificates are rotated.\n"
    "lanchatctl pki issue-client --dir DIR (--operator NAME | --device NAME) [--algorithm A] [--days N]\n"
    "    clients/operator-NAME.{crt,key} or clients/device-NAME.{crt,key}, for TLS clients only\n"
    "lanchatctl pki revoke --dir DIR CERTIFICATE\n"
    "    adds the certificate to DIR/crl.pem, which nodes reload\n"
    "lanchatctl pki inspect [--dir DIR] CERTIFICATE\n"
    "    prints what the certificate says; with --dir also whether the CA verifies it and if it is revoked\n";

namespace {

constexpr int kOk = 0;
constexpr int kFailed = 1;
constexpr int kUsage = 2;

int usage_error(const std::string& message) {
    std::cerr << "lanchatctl pki: " << message << "\n\n" << kPkiUsage;
    return kUsage;
}

int report(const sdk::Status& status) {
    if (status.ok()) return kOk;
    std::cerr << "lanchatctl pki: " << status.message() << "\n";
    return kFailed;
}

bool parse_algorithm(const cli::Arguments& arguments, pki::KeyAlgorithm& algorithm) {
    std::string name = arguments.value("algorithm").value_or("ecdsa-p256");
    if (name == "ecdsa-p256")
        algorithm = pki::KeyAlgorithm::ecdsa_p256;
    else if (name == "ed25519")
        algorithm = pki::KeyAlgorithm::ed25519;
    else
        return false;
    return true;
}

bool parse_days(const cli::Arguments& arguments, int fallback, int& days) {
    std::string text = arguments.value("days").value_or(std::to_string(fallback));
    try {
        size_t used = 0;
        days = std::stoi(text, &used);
        return used == text.size();
    } catch (const std::exception&) {
        return false;
    }
}

void print_issued(const pki::Issued& issued) {
    for (const auto& certificate : issued.certificates) {
        std::filesystem::path key = certificate;
        key.replace_extension(".key");
        std::cout << "issued " << certificate.string() << " (key " << key.string() << ")\n";
    }
}

}  // namespace

int run_pki_command(const std::vector<std::string>& args) {
    if (args.empty()) return usage_error("missing subcommand");
    const std::string& command = args[0];
    cli::Arguments arguments({args.begin() + 1, args.end()}, {"dir", "trust-domain", "algorithm", "days", "node",
                                                              "service", "address", "operator", "device"});
    if (command == "--help" || command == "-h" || arguments.help_requested()) {
        std::cout << kPkiUsage;
        return kOk;
    }
    if (arguments.error()) return usage_error(*arguments.error());
    pki::KeyAlgorithm algorithm{};
    if (!parse_algorithm(arguments, algorithm)) return usage_error("--algorithm must be ecdsa-p256 or ed25519");

    std::optional<pki::PkiLayout> layout;
    if (auto dir = arguments.value("dir")) layout = pki::PkiLayout{*dir};

    if (command == "inspect") {
        if (arguments.positional().size() != 1) return usage_error("inspect needs one CERTIFICATE");
        auto text = pki::inspect(arguments.positional()[0], layout);
        if (!text.ok()) return report(text.status());
        std::cout << *text;
        return kOk;
    }
    if (!layout) return usage_error(command + " needs --dir DIR");

    if (command == "init") {
        pki::InitOptions options;
        options.algorithm = algorithm;
        options.trust_domain = arguments.value("trust-domain").value_or("");
        if (options.trust_domain.empty()) return usage_error("init needs --trust-domain DOMAIN, e.g. lan-chat.local");
        if (!parse_days(arguments, 3650, options.days)) return usage_error("--days needs a whole number");
        if (int code = report(pki::init_ca(*layout, options)); code != kOk) return code;
        std::cout << "created " << layout->ca_certificate().string() << ", " << layout->ca_key().string()
                  << " (mode 0600) and " << layout->crl().string() << "\n";
        return kOk;
    }
    pki::IssueOptions options;
    options.algorithm = algorithm;
    if (!parse_days(arguments, 90, options.days)) return usage_error("--days needs a whole number");
    if (command == "issue") {
        auto node = arguments.value("node");
        if (!node) return usage_error("issue needs --node NAME");
        options.addresses = arguments.values("address");
        auto issued = pki::issue_node(*layout, *node, arguments.values("service"), options);
        if (!issued.ok()) return report(issued.status());
        print_issued(*issued);
        return kOk;
    }
    if (command == "issue-client") {
        bool is_operator = arguments.has("operator");
        if (is_operator == arguments.has("device"))
            return usage_error("issue-client needs --operator NAME or --device NAME");
        auto issued = pki::issue_client(*layout, is_operator ? pki::ClientKind::operator_user : pki::ClientKind::device,
                                        *arguments.value(is_operator ? "operator" : "device"), options);
        if (!issued.ok()) return report(issued.status());
        print_issued(*issued);
        return kOk;
    }
    if (command == "revoke") {
        if (arguments.positional().size() != 1) return usage_error("revoke needs one CERTIFICATE");
        if (int code = report(pki::revoke(*layout, arguments.positional()[0])); code != kOk) return code;
        std::cout << "revoked " << arguments.positional()[0] << "; " << layout->crl().string() << " updated\n";
        return kOk;
    }
    return usage_error("unknown subcommand '" + command + "'");
}

}  // namespace lanchat::ctl

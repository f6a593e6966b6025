// The Audit service's handlers over a real SQLite record and checkpoint key (in /dev/shm): any bytes as an
// Append from a service, or a Query or Verify from an operator (and a Query from a service, refused), on one
// record kept from input to input. The chain of whatever was appended must still verify.
#include <cstdlib>
#include <filesystem>
#include <future>
#include <memory>
#include <string>

#include "audit_service.hpp"
#include "service_request.hpp"

namespace {

using namespace lanchat::audit;

constexpr const char* kService = "spiffe://lan-chat.test/svc/channel";
constexpr const char* kOperator = "spiffe://lan-chat.test/operator/alice";

template <class T>
T value_or_abort(lanchat::sdk::Result<T> result) {
    if (!result.ok()) std::abort();
    return std::move(*result);
}

struct Audit {
    Audit() {
        std::string pattern = "/dev/shm/lanchat-fuzz-audit-XXXXXX";
        if (mkdtemp(pattern.data()) == nullptr) std::abort();
        directory = pattern;
        service = value_or_abort(AuditService::open(
            value_or_abort(open_sqlite_store(directory / "audit.sqlite")),
            value_or_abort(CheckpointSigner::open(directory / "checkpoint.key", directory / "checkpoints"))));
    }
    ~Audit() {
        service->close();
        std::error_code ignored;
        std::filesystem::remove_all(directory, ignored);
    }

    std::vector<lanchat::fuzz::Method> methods() {
        using lanchat::fuzz::method;
        AuditService& s = *service;
        return {
            method<v1::AppendRequest>([&s](auto& r) {
                std::promise<lanchat::sdk::Result<v1::AppendReply>> answer;
                s.append(kService, r, [&answer](auto given) { answer.set_value(std::move(given)); });
                return answer.get_future().get();
            }),
            method<v1::QueryRequest>([&s](auto& r) { return s.query(kOperator, r); }),
            method<v1::QueryRequest>([&s](auto& r) { return s.query(kService, r); }),
            method<v1::VerifyRequest>([&s](auto&) {
                auto verified = s.verify(kOperator);
                if (!verified.ok() || !verified->intact()) std::abort();
                return verified;
            }),
        };
    }

    std::filesystem::path directory;
    std::unique_ptr<AuditService> service;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static Audit audit;
    static const std::vector<lanchat::fuzz::Method> methods = audit.methods();
    lanchat::fuzz::call_one(methods, data, size);
    return 0;
}

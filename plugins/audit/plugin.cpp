// The Audit plugin: an append-only, hash-chained record in SQLite.
//   config:  none (any key in its [plugin.config] is an error)
//   store:   <data dir>/audit.sqlite
//   serves:  lanchat.audit.v1.Audit/Append (the seed's services), /Query and /Verify (operators)
//   calls:   nothing
#include "audit_service.hpp"
#include "lanchat/sdk.hpp"
#include "lanchat/sdk/serving.hpp"

namespace lanchat::audit {

using namespace lanchat::sdk;

class AuditPlugin : public Plugin {
public:
    explicit AuditPlugin(Host& host) : Plugin(host), rpc_(host) {
        auto store = open_sqlite_store(std::filesystem::path(config().data_dir()) / "audit.sqlite");
        service_ = std::make_unique<AuditService>(value_or_throw(std::move(store)));
    }

    Status start() override {
        return Serving(rpc_, "/lanchat.audit.v1.Audit/")
            .sync<v1::AppendRequest, v1::AppendReply>("Append",
                                                      [this](const CallInfo& call, const v1::AppendRequest& request) {
                                                          return service_->append(call.peer, request);
                                                      })
            .sync<v1::QueryRequest, v1::QueryReply>("Query",
                                                    [this](const CallInfo& call, const v1::QueryRequest& request) {
                                                        return service_->query(call.peer, request);
                                                    })
            .sync<v1::VerifyRequest, v1::VerifyReply>(
                "Verify",
                [this](const CallInfo& call, const v1::VerifyRequest&) { return service_->verify(call.peer); })
            .status();
    }

private:
    Rpc rpc_;
    std::unique_ptr<AuditService> service_;
};

}  // namespace lanchat::audit

LANCHAT_PLUGIN(lanchat::audit::AuditPlugin, "audit", "0.1.0", lanchat::sdk::no_settings)

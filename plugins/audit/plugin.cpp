// The Audit plugin: an append-only, hash-chained record in SQLite, anchored by signed checkpoints.
//   config:  checkpoint_key_file (default <data dir>/checkpoint.key, created on first start): the Ed25519
//            key that signs checkpoints; keep it off the database's disk to protect against whoever
//            holds the data directory
//   store:   <data dir>/audit.sqlite, the latest signed checkpoint in <data dir>/audit.checkpoint
//   serves:  lanchat.audit.v1.Audit/Append (the seed's services), /Query and /Verify (operators)
//   calls:   nothing
#include "audit_service.hpp"
#include "lanchat/sdk.hpp"
#include "lanchat/sdk/rpc.hpp"

namespace lanchat::audit {

using namespace lanchat::sdk;

class AuditPlugin : public Plugin {
public:
    explicit AuditPlugin(Host& host) : Plugin(host), rpc_(host) {
        if (Status known = config().allow_only({"checkpoint_key_file"}); !known.ok()) throw StatusError(known);
        const std::filesystem::path data_dir = config().data_dir();
        auto store = open_sqlite_store(data_dir / "audit.sqlite");
        auto checkpoints = CheckpointSigner::open(
            config().value_or("checkpoint_key_file", (data_dir / "checkpoint.key").string()),
            data_dir / "audit.checkpoint");
        service_ = value_or_throw(
            AuditService::open(value_or_throw(std::move(store)), value_or_throw(std::move(checkpoints))));
    }

    Status start() override {
        Status served = rpc_.serve_sync<v1::AppendRequest, v1::AppendReply>(
            "/lanchat.audit.v1.Audit/Append",
            [this](const CallInfo& call, const v1::AppendRequest& request) { return service_->append(call.peer, request); });
        if (!served.ok()) return served;
        served = rpc_.serve_sync<v1::QueryRequest, v1::QueryReply>(
            "/lanchat.audit.v1.Audit/Query",
            [this](const CallInfo& call, const v1::QueryRequest& request) { return service_->query(call.peer, request); });
        if (!served.ok()) return served;
        return rpc_.serve_sync<v1::VerifyRequest, v1::VerifyReply>(
            "/lanchat.audit.v1.Audit/Verify",
            [this](const CallInfo& call, const v1::VerifyRequest&) { return service_->verify(call.peer); });
    }

private:
    Rpc rpc_;
    std::unique_ptr<AuditService> service_;
};

}  // namespace lanchat::audit

LANCHAT_PLUGIN(lanchat::audit::AuditPlugin, "audit", "0.1.0")

// The Audit plugin: an append-only, hash-chained record in SQLite (or one chain in PostgreSQL shared by
// nodes), anchored by signed checkpoints.
//   config:  kSettings below
//   store:   <data dir>/audit.sqlite, or with store = "postgresql" the database of postgres_dsn (appends
//            share commits), the latest signed checkpoint in <data dir>/audit.checkpoint
//   serves:  lanchat.audit.v1.Audit/Append (the seed's services), /Query and /Verify (operators)
//   calls:   nothing
#include "audit_service.hpp"
#include "lanchat/sdk.hpp"
#include "lanchat/sdk/serving.hpp"
#include "store_choice.hpp"

namespace lanchat::audit {

using namespace lanchat::sdk;

namespace {

constexpr Setting kSettings[] = {
    setting::string("checkpoint_key_file", "",
                    "the Ed25519 key that signs checkpoints, made on first start (empty: <data dir>/checkpoint.key); "
                    "keep it off the database's disk"),
    plugin_support::kStoreSetting,
    plugin_support::kPostgresDsnSetting,
    plugin_support::kPostgresDsnFileSetting,
};

}  // namespace

class AuditPlugin : public Plugin {
public:
    explicit AuditPlugin(Host& host) : Plugin(host), rpc_(host) {
        const std::filesystem::path data_dir = config().data_dir();
        std::filesystem::path key_file = settings().get<std::string>("checkpoint_key_file");
        if (key_file.empty()) key_file = data_dir / "checkpoint.key";
        const plugin_support::StoreChoice choice = value_or_throw(plugin_support::choose_store(settings()));
        auto store = choice.postgres ? open_postgres_store(choice.dsn) : open_sqlite_store(data_dir / "audit.sqlite");
        auto checkpoints = CheckpointSigner::open(key_file, data_dir / "audit.checkpoint");
        service_ = value_or_throw(
            AuditService::open(value_or_throw(std::move(store)), value_or_throw(std::move(checkpoints))));
    }

    Status start() override {
        return Serving(rpc_, "/lanchat.audit.v1.Audit/")
            .deferred<v1::AppendRequest, v1::AppendReply>(
                "Append", [this](const CallInfo& call, const v1::AppendRequest& request,
                                 auto done) { service_->append(call.peer, request, std::move(done)); })
            .sync<v1::QueryRequest, v1::QueryReply>("Query",
                                                    [this](const CallInfo& call, const v1::QueryRequest& request) {
                                                        return service_->query(call.peer, request);
                                                    })
            .sync<v1::VerifyRequest, v1::VerifyReply>(
                "Verify",
                [this](const CallInfo& call, const v1::VerifyRequest&) { return service_->verify(call.peer); })
            .status();
    }

    // Appends queued for the disk are committed and answered before stop returns.
    void stop() override { service_->close(); }

private:
    Rpc rpc_;
    std::unique_ptr<AuditService> service_;
};

}  // namespace lanchat::audit

LANCHAT_PLUGIN(lanchat::audit::AuditPlugin, "audit", "0.1.0", lanchat::audit::kSettings)

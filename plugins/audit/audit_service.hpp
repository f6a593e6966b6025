// AuditService: Append, Query and Verify over an AuditStore, with the input limits and the rule that only
// operators read the record.
#pragma once

#include <functional>
#include <memory>

#include "audit_store.hpp"
#include "checkpoint.hpp"
#include "lanchat/sdk/status.hpp"

namespace lanchat::audit {

class AuditService {
public:
    // Signs a first checkpoint of the chain as it stands when `checkpoints` has none yet (a record made
    // before checkpoints existed is trusted from here on).
    static sdk::Result<std::unique_ptr<AuditService>> open(std::unique_ptr<AuditStore> store,
                                                           std::unique_ptr<CheckpointSigner> checkpoints);

    // `caller` is the appending service's SPIFFE ID, recorded with the entry. `done` is told once: at once
    // for a bad request, else after the store's commit, on the thread that committed it.
    void append(const std::string& caller, const v1::AppendRequest& request,
                std::function<void(sdk::Result<v1::AppendReply>)> done);
    sdk::Result<v1::QueryReply> query(const std::string& caller, const v1::QueryRequest& request);
    sdk::Result<v1::VerifyReply> verify(const std::string& caller);
    // Answers the appends already made; refuses later ones.
    void close() { store_->close(); }

private:
    AuditService(std::unique_ptr<AuditStore> store, std::unique_ptr<CheckpointSigner> checkpoints)
        : checkpoints_(std::move(checkpoints)), store_(std::move(store)) {}
    sdk::Status sign_head();
    // Checks an intact chain of `entries` against the latest signed checkpoint.
    void check_against_checkpoint(v1::VerifyReply& reply);

    // The store goes first: appends still queued in it are answered, and checkpointed, as it closes.
    std::unique_ptr<CheckpointSigner> checkpoints_;
    std::unique_ptr<AuditStore> store_;
};

}  // namespace lanchat::audit

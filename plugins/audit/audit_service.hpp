// AuditService: Append, Query and Verify over an AuditStore, with the input limits and the rule that only
// operators read the record.
#pragma once

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

    // `caller` is the appending service's SPIFFE ID, recorded with the entry.
    sdk::Result<v1::AppendReply> append(const std::string& caller, const v1::AppendRequest& request);
    sdk::Result<v1::QueryReply> query(const std::string& caller, const v1::QueryRequest& request);
    sdk::Result<v1::VerifyReply> verify(const std::string& caller);

private:
    AuditService(std::unique_ptr<AuditStore> store, std::unique_ptr<CheckpointSigner> checkpoints)
        : store_(std::move(store)), checkpoints_(std::move(checkpoints)) {}
    sdk::Status sign_head();
    // Checks an intact chain of `entries` against the latest signed checkpoint.
    void check_against_checkpoint(v1::VerifyReply& reply);

    std::unique_ptr<AuditStore> store_;
    std::unique_ptr<CheckpointSigner> checkpoints_;
};

}  // namespace lanchat::audit

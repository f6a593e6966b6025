// AuditService: Append, Query and Verify over an AuditStore, with the input limits and the rule that only
// operators read the record.
#pragma once

#include <memory>

#include "audit_store.hpp"
#include "lanchat/sdk/status.hpp"

namespace lanchat::audit {

class AuditService {
public:
    explicit AuditService(std::unique_ptr<AuditStore> store) : store_(std::move(store)) {}

    // `caller` is the appending service's SPIFFE ID, recorded with the entry.
    sdk::Result<v1::AppendReply> append(const std::string& caller, const v1::AppendRequest& request);
    sdk::Result<v1::QueryReply> query(const std::string& caller, const v1::QueryRequest& request);
    sdk::Result<v1::VerifyReply> verify(const std::string& caller);

private:
    std::unique_ptr<AuditStore> store_;
};

}  // namespace lanchat::audit

#include "audit_service.hpp"

#include <charconv>

#include "checks.hpp"

namespace lanchat::audit {
namespace {

constexpr size_t kMaxField = 256;
constexpr size_t kMaxDetails = 32;
constexpr size_t kMaxDetail = 1024;
constexpr plugin_support::PageLimits kPage{100, 1000};

sdk::Status check_field(const char* name, const std::string& value, bool required) {
    if (required && value.empty()) return sdk::invalid_argument(std::string(name) + " is required");
    if (value.size() > kMaxField) {
        return sdk::invalid_argument(std::string(name) + " is " + std::to_string(value.size()) + " bytes; at most " +
                                     std::to_string(kMaxField));
    }
    return {};
}

// Reading the record is for operators: spiffe://<domain>/operator/<name>.
sdk::Status operator_only(const std::string& caller) {
    if (caller.find("/operator/") != std::string::npos && caller.rfind("spiffe://", 0) == 0) return {};
    return {sdk::Code::permission_denied, "only operators may read the audit record; " + caller + " is not one"};
}

sdk::Status check_append(const v1::AppendRequest& request) {
    for (auto [name, value, required] :
         {std::tuple{"actor", &request.actor(), true}, std::tuple{"action", &request.action(), true},
          std::tuple{"target", &request.target(), false}, std::tuple{"outcome", &request.outcome(), true},
          std::tuple{"correlation_id", &request.correlation_id(), false},
          std::tuple{"idempotency_key", &request.idempotency_key(), false}}) {
        if (sdk::Status status = check_field(name, *value, required); !status.ok()) return status;
    }
    if (request.details_size() > static_cast<int>(kMaxDetails)) {
        return sdk::invalid_argument("at most " + std::to_string(kMaxDetails) + " details");
    }
    for (const auto& [key, value] : request.details()) {
        if (key.size() > kMaxField || value.size() > kMaxDetail) {
            return sdk::invalid_argument("detail '" + key.substr(0, 64) + "' is too long");
        }
    }
    return {};
}

}  // namespace

sdk::Result<std::unique_ptr<AuditService>> AuditService::open(std::unique_ptr<AuditStore> store,
                                                              std::unique_ptr<CheckpointSigner> checkpoints) {
    bool first = !checkpoints->exists();
    std::unique_ptr<AuditService> service(new AuditService(std::move(store), std::move(checkpoints)));
    if (first) {
        if (sdk::Status signed_head = service->sign_head(); !signed_head.ok()) return signed_head;
    }
    return service;
}

sdk::Status AuditService::sign_head() {
    auto entries = store_->count();
    if (!entries.ok()) return entries.status();
    auto hash = store_->hash_at(*entries);
    if (!hash.ok()) return hash.status();
    return checkpoints_->record({*entries, *hash});
}

void AuditService::append(const std::string& caller, const v1::AppendRequest& request,
                          std::function<void(sdk::Result<v1::AppendReply>)> done) {
    if (sdk::Status checked = check_append(request); !checked.ok()) return done(checked);
    v1::Entry draft;
    draft.set_actor(request.actor());
    draft.set_action(request.action());
    draft.set_target(request.target());
    draft.set_outcome(request.outcome());
    draft.set_correlation_id(request.correlation_id());
    *draft.mutable_details() = request.details();
    draft.set_idempotency_key(request.idempotency_key());
    draft.set_recorded_by(caller);
    store_->append(std::move(draft), [this, done = std::move(done)](sdk::Result<Appended> appended) {
        if (!appended.ok()) return done(appended.status());
        if (!appended->duplicate) {
            // The entry is committed: a checkpoint that fails now is missing only until the next append signs
            // one.
            (void)checkpoints_->record({appended->entry.sequence(), appended->entry.hash()});
        }
        v1::AppendReply reply;
        *reply.mutable_entry() = std::move(appended->entry);
        reply.set_duplicate(appended->duplicate);
        done(std::move(reply));
    });
}

sdk::Result<v1::QueryReply> AuditService::query(const std::string& caller, const v1::QueryRequest& request) {
    if (sdk::Status allowed = operator_only(caller); !allowed.ok()) return allowed;
    uint64_t after = 0;
    const std::string& token = request.page().page_token();
    if (!token.empty()) {
        auto [end, error] = std::from_chars(token.data(), token.data() + token.size(), after);
        if (error != std::errc{} || end != token.data() + token.size()) {
            return sdk::invalid_argument("page_token '" + token.substr(0, 64) + "' was not issued by Audit");
        }
    }
    uint32_t size = kPage.size_for(request.page().page_size());
    Filter filter{request.from_unix_ms(), request.to_unix_ms(), request.actor(), request.action()};
    auto entries = store_->query(filter, after, size + 1);  // one more tells whether a next page exists
    if (!entries.ok()) return entries.status();
    v1::QueryReply reply;
    for (size_t i = 0; i < entries->size() && i < size; ++i) *reply.add_entries() = (*entries)[i];
    if (entries->size() > size) {
        reply.mutable_page()->set_next_page_token(std::to_string((*entries)[size - 1].sequence()));
    }
    return reply;
}

sdk::Result<v1::VerifyReply> AuditService::verify(const std::string& caller) {
    if (sdk::Status allowed = operator_only(caller); !allowed.ok()) return allowed;
    auto verdict = store_->verify();
    if (!verdict.ok()) return verdict.status();
    v1::VerifyReply reply;
    reply.set_intact(verdict->intact);
    reply.set_entries(verdict->entries);
    reply.set_first_broken_sequence(verdict->first_broken_sequence);
    reply.set_reason(verdict->reason);
    if (reply.intact()) check_against_checkpoint(reply);
    return reply;
}

void AuditService::check_against_checkpoint(v1::VerifyReply& reply) {
    auto broken = [&reply](uint64_t sequence, std::string reason) {
        reply.set_intact(false);
        reply.set_first_broken_sequence(sequence);
        reply.set_reason(std::move(reason));
    };
    auto checkpoint = checkpoints_->latest();
    if (!checkpoint.ok()) return broken(reply.entries() + 1, checkpoint.status().message());
    reply.set_checkpoint_entries(checkpoint->entries);
    reply.set_checkpoint_hash(checkpoint->head_hash);
    if (checkpoint->entries > reply.entries()) {
        return broken(reply.entries() + 1,
                      "the chain ends at entry " + std::to_string(reply.entries()) +
                          " but the signed checkpoint covers " + std::to_string(checkpoint->entries) +
                          " entries: entries " + std::to_string(reply.entries() + 1) + ".." +
                          std::to_string(checkpoint->entries) + " are missing (the record was cut short)");
    }
    auto hash = store_->hash_at(checkpoint->entries);
    if (!hash.ok()) return broken(checkpoint->entries, hash.status().message());
    if (*hash != checkpoint->head_hash) {
        broken(checkpoint->entries, "entry " + std::to_string(checkpoint->entries) +
                                        " is not the one the signed checkpoint covers (the record was rewritten and "
                                        "its hashes recomputed)");
    }
}

}  // namespace lanchat::audit

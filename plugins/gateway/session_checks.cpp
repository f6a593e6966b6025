// Live sessions are checked again, not only at authentication: one timer of the plugin asks Auth every few
// seconds about every authenticated connection of this gateway (a tenth of them at each tenth of the
// interval), a batch per call, and closes those that may no longer act (a logout elsewhere revoked the token, an
// operator disabled the user or revoked the device). Nothing runs per connection: one round at a time, and a round a
// gateway cannot answer for (Auth down) leaves the sessions as they are until the next.
#include "gateway_service.hpp"

namespace lanchat::gateway {
namespace {

namespace auth_v1 = auth::v1;

constexpr size_t kRecheckBatch = 500;  // Auth takes at most 1000 per call

struct Batch {
    auth_v1::RecheckRequest request;
    std::vector<std::shared_ptr<Session>> sessions;  // in the request's order
};

}  // namespace

void GatewayService::recheck_sessions() {
    std::optional<sdk::Gate::Holder> admitted = in_flight_.try_hold();
    if (!admitted) return;  // draining: the successor checks them
    if (rechecking_.exchange(true)) return;
    // The slice moves on only with a round that starts: while Auth is slow, none is skipped.
    const unsigned slice = recheck_slice_++ % kSpreadSlices;
    // Copied first, then read: a session's lock is taken before the gateway's elsewhere (count_user), never
    // the other way round.
    std::vector<std::shared_ptr<Session>> open;
    {
        std::lock_guard lock(mutex_);
        for (auto& [id, session] : sessions_) {
            if (id % kSpreadSlices == slice) open.push_back(session);
        }
    }
    std::vector<Batch> batches;
    for (const std::shared_ptr<Session>& session : open) {
        auth_v1::Session asked = session->auth_session();
        if (asked.user_id().empty()) continue;  // not authenticated
        if (batches.empty() || batches.back().sessions.size() == kRecheckBatch) batches.emplace_back();
        *batches.back().request.add_sessions() = std::move(asked);
        batches.back().sessions.push_back(session);
    }
    sdk::Result<sdk::CallOptions> how = options("auth", "Recheck", true);
    if (batches.empty() || !how.ok()) {
        rechecking_ = false;
        return;
    }
    auto outstanding = std::make_shared<std::atomic<size_t>>(batches.size());
    for (Batch& batch : batches) {
        auto sessions = std::make_shared<std::vector<std::shared_ptr<Session>>>(std::move(batch.sessions));
        rpc_.call<auth_v1::RecheckRequest, auth_v1::RecheckReply>(
            *how, batch.request, [this, sessions, outstanding, asked = batch.request, held = *admitted](auto verdicts) {
                if (!verdicts.ok()) {
                    log_.warn("cannot recheck sessions", {{"reason", verdicts.status().message()}});
                } else {
                    for (int i = 0; i < verdicts->verdicts_size() && i < static_cast<int>(sessions->size()); ++i) {
                        const auth_v1::SessionVerdict& verdict = verdicts->verdicts(i);
                        Session& session = *(*sessions)[i];
                        // The same token as asked about: the connection may have authenticated again meanwhile.
                        if (verdict.valid() || session.auth_session().token_id() != asked.sessions(i).token_id())
                            continue;
                        edge_.close(session.id, kCloseTokenExpired, "session ended: " + verdict.reason());
                    }
                }
                if (--*outstanding == 0) rechecking_ = false;
            });
    }
}

}  // namespace lanchat::gateway

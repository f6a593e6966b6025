// Deliveries at this edge: the Router streams for every connection here, the channel feeds it fills, and
// a connection's subscribe, which attaches it to its user's channels from the positions it names.
#include "edge_identity.hpp"
#include "gateway_service.hpp"

namespace lanchat::gateway {

namespace channel_v1 = channel::v1;

namespace {

constexpr uint32_t kMembershipsPage = 500;
constexpr size_t kPositionsPerCall = 500;

}  // namespace

void GatewayService::start_deliveries() { edge_stream_.open(); }

void GatewayService::tick_deliveries() {
    edge_stream_.tick();
    read_history(feeds_.gaps());
    read_history(feeds_.retries());
}

// A subscribe is answered once the connection is attached to every channel of its user (a refusal is the
// answer); what it missed then comes from the history, before the live messages that wait for it.
void GatewayService::on_subscribe(const ClientRequest& client, const Fields& fields) {
    auto resume = std::make_shared<const std::map<std::string, uint64_t>>(fields.positions("resume"));
    const uint64_t generation = feeds_.subscribing(client.session->id, client.session->user());
    list_memberships(client, generation, std::move(resume), std::make_shared<std::vector<channel_v1::Position>>(), "");
}

void GatewayService::list_memberships(const ClientRequest& client, uint64_t generation,
                                      std::shared_ptr<const std::map<std::string, uint64_t>> resume,
                                      std::shared_ptr<std::vector<channel_v1::Position>> memberships,
                                      const std::string& token) {
    channel_v1::MembershipsRequest request;
    request.set_user_id(client.session->user());
    request.mutable_page()->set_page_size(kMembershipsPage);
    request.mutable_page()->set_page_token(token);
    call<channel_v1::MembershipsRequest, channel_v1::MembershipsReply>(
        client, "channel", "Memberships", request,
        [this, client, generation, resume, memberships](const channel_v1::MembershipsReply& page) {
            memberships->insert(memberships->end(), page.channels().begin(), page.channels().end());
            if (!page.page().next_page_token().empty()) {
                return list_memberships(client, generation, resume, memberships, page.page().next_page_token());
            }
            attach(client, generation, *resume, *memberships);
        });
}

void GatewayService::attach(const ClientRequest& client, uint64_t generation,
                            const std::map<std::string, uint64_t>& resume,
                            const std::vector<channel_v1::Position>& memberships) {
    sdk::Result<std::vector<HistoryRead>> reads =
        feeds_.attach(client.session->id, generation, client.session->user(), memberships, resume);
    if (!reads.ok()) return fail(client, reads.status());
    reply(client, json::object());
    read_history(*reads);
}

void GatewayService::push_to_all(const std::vector<sdk::ConnectionId>& ids, const std::string& frame) {
    // One copy of the frame for every connection (the host shares it). A connection that does not read is
    // closed by the host (4008); its close detaches it from the feeds.
    edge_.send_many(ids, frame);
}

void GatewayService::read_history(const std::vector<HistoryRead>& reads) {
    HistoryReads::Admitted admitted = history_reads_.admit(reads);
    for (const HistoryRead& read : admitted.start) start_read(read);
    for (const HistoryRead& read : admitted.refused) {
        apply_history(read, sdk::Status(sdk::Code::unavailable, "too many history reads wait for this connection"));
    }
}

void GatewayService::apply_history(const HistoryRead& read, const sdk::Result<channel_v1::HistoryReply>& page) {
    EdgeWork work = feeds_.read(read, page);
    for (const auto& [id, why] : work.interrupted) {
        log_.info("a catch-up read kept failing; the client subscribes again",
                  {{"channel_id", read.channel_id}, {"reason", why.message()}});
        push(id, json{{"type", "resubscribe"}}.dump());
    }
    read_history(work.reads);
}

void GatewayService::start_read(const HistoryRead& read) {
    channel_v1::HistoryRequest request;
    if (read.reader != 0) {
        request.mutable_actor()->set_user_id(read.user_id);  // a catch-up reads what its user may read
    } else {
        request.mutable_actor()->set_user_id(std::string(kEdgeReader));  // a gap is read for the whole edge
        request.mutable_actor()->add_roles("admin");
    }
    request.set_channel_id(read.channel_id);
    request.set_from_sequence(read.after);
    request.set_direction(channel_v1::HistoryRequest::AFTER);
    request.set_limit(read.limit);
    auto answered = [this, read](sdk::Result<channel_v1::HistoryReply> page) {
        if (std::optional<HistoryRead> next = history_reads_.finished()) start_read(*next);
        apply_history(read, page);
    };
    sdk::Result<sdk::CallOptions> how = options("channel", "History", true);
    if (!how.ok()) {
        log_.error(how.status().message());
        return answered(how.status());
    }
    rpc_.call<channel_v1::HistoryRequest, channel_v1::HistoryReply>(*how, request, std::move(answered));
}

void GatewayService::ask_positions() {
    std::vector<std::string> followed = feeds_.followed();
    for (size_t from = 0; from < followed.size(); from += kPositionsPerCall) {
        channel_v1::PositionsRequest request;
        for (size_t i = from; i < followed.size() && i < from + kPositionsPerCall; ++i) {
            request.add_channel_ids(followed[i]);
        }
        sdk::Result<sdk::CallOptions> how = options("channel", "Positions", true);
        if (!how.ok()) return log_.error(how.status().message());
        rpc_.call<channel_v1::PositionsRequest, channel_v1::PositionsReply>(
            *how, request, [this](sdk::Result<channel_v1::PositionsReply> reply) {
                if (!reply.ok()) {
                    return log_.warn("cannot learn where the followed channels stand; gaps close as messages come",
                                     {{"reason", reply.status().message()}});
                }
                feeds_.reaches({reply->positions().begin(), reply->positions().end()});
            });
    }
}

}  // namespace lanchat::gateway

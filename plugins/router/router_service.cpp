#include "router_service.hpp"

#include <vector>

#include "checks.hpp"
#include "text.hpp"

namespace lanchat::router {
namespace {

using plugin_support::check_id;

constexpr uint64_t kMaxAnnounced = 16;

int64_t unix_ms_now() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

RouterService::RouterService(ChannelLog& channels, RouterLimits limits) : channels_(channels), limits_(limits) {}

void RouterService::send(const v1::SendRequest& request, CallParent parent, Done<v1::SendReply> done) {
    for (auto [what, id] : {std::pair{"user_id", &request.user_id()}, std::pair{"channel_id", &request.channel_id()},
                            std::pair{"client_message_id", &request.client_message_id()}}) {
        if (sdk::Status checked = check_id(what, *id); !checked.ok()) return done(checked);
    }
    if (sdk::Status checked = check_body(request.body()); !checked.ok()) return done(checked);
    channel::v1::AppendRequest append;
    append.set_channel_id(request.channel_id());
    append.set_author_id(request.user_id());
    append.set_body(request.body());
    append.set_client_message_id(request.client_message_id());
    channels_.append(append, parent, delivering(std::move(done)));
}

void RouterService::edit(const v1::EditRequest& request, CallParent parent, Done<v1::SendReply> done) {
    if (sdk::Status checked = check_body(request.body()); !checked.ok()) return done(checked);
    channel::v1::AmendRequest amend;
    amend.set_channel_id(request.channel_id());
    amend.set_author_id(request.user_id());
    amend.set_target_sequence(request.sequence());
    amend.set_body(request.body());
    channels_.amend(amend, parent, delivering(std::move(done)));
}

void RouterService::remove(const v1::DeleteRequest& request, CallParent parent, Done<v1::SendReply> done) {
    channel::v1::AmendRequest amend;
    amend.set_channel_id(request.channel_id());
    amend.set_author_id(request.user_id());
    amend.set_target_sequence(request.sequence());
    amend.set_delete_(true);
    channels_.amend(amend, parent, delivering(std::move(done)));
}

sdk::Status RouterService::check_body(const std::string& body) const {
    return plugin_support::check_utf8("body", body, limits_.max_body_bytes, true);
}

// The message is durable once Channel answered. It is written to the edges before the sender hears, so a
// Router that drains once its Sends are answered has passed every acknowledged message on. A duplicate
// goes out too: "stored before" is not "delivered before" (the first answer may have been lost), and each
// edge drops what it has already released.
Done<channel::v1::AppendReply> RouterService::delivering(Done<v1::SendReply> done) {
    return [this, done = std::move(done)](sdk::Result<channel::v1::AppendReply> appended) {
        if (!appended.ok()) return done(appended.status());
        v1::Delivery delivery;
        *delivery.mutable_message() = appended->message();
        broadcast(delivery);
        v1::SendReply reply;
        reply.set_sequence(appended->message().sequence());
        reply.set_server_time_unix_ms(appended->message().server_time_unix_ms());
        reply.set_duplicate(appended->duplicate());
        done(reply);
    };
}

void RouterService::typing(const v1::TypingRequest& request, CallParent parent, Done<v1::TypingReply> done) {
    if (sdk::Status checked = check_id("user_id", request.user_id()); !checked.ok()) return done(checked);
    if (sdk::Status checked = check_id("channel_id", request.channel_id()); !checked.ok()) return done(checked);
    channel::v1::AudienceRequest audience;
    audience.set_channel_id(request.channel_id());
    audience.set_user_id(request.user_id());
    // Channel answers only if the typer is a member; each edge picks its own members of the channel.
    channels_.audience(audience, parent,
                       [this, request, done = std::move(done)](sdk::Result<channel::v1::AudienceReply> members) {
                           if (!members.ok()) return done(members.status());
                           v1::Delivery delivery;
                           v1::TypingNotice& notice = *delivery.mutable_typing();
                           notice.set_channel_id(request.channel_id());
                           notice.set_user_id(request.user_id());
                           notice.set_unix_ms(unix_ms_now());
                           broadcast(delivery);
                           done(v1::TypingReply());
                       });
}

void RouterService::announce(const v1::AnnounceRequest& request, CallParent parent, Done<v1::AnnounceReply> done) {
    if (sdk::Status checked = check_id("channel_id", request.channel_id()); !checked.ok()) return done(checked);
    if (request.through_sequence() <= request.after_sequence() ||
        request.through_sequence() - request.after_sequence() > kMaxAnnounced) {
        return done(sdk::invalid_argument("announce 1 to " + std::to_string(kMaxAnnounced) +
                                          " entries: through_sequence must be above after_sequence by at most that"));
    }
    channel::v1::HistoryRequest read;
    read.mutable_actor()->set_user_id("svc:router");  // the Router reads the log as a service, not as a user
    read.mutable_actor()->add_roles("admin");
    read.set_channel_id(request.channel_id());
    read.set_from_sequence(request.after_sequence());
    read.set_direction(channel::v1::HistoryRequest::AFTER);
    read.set_limit(static_cast<uint32_t>(request.through_sequence() - request.after_sequence()));
    channels_.history(read, parent,
                      [this, request, done = std::move(done)](sdk::Result<channel::v1::HistoryReply> page) {
                          if (!page.ok()) return done(page.status());
                          for (const channel::v1::Message& entry : page->messages()) {
                              if (entry.sequence() > request.through_sequence()) break;
                              v1::Delivery delivery;
                              *delivery.mutable_message() = entry;
                              broadcast(delivery);
                          }
                          done(v1::AnnounceReply());
                      });
}

void RouterService::broadcast(const v1::Delivery& delivery) {
    std::vector<std::shared_ptr<DeliverySink>> behind;
    {
        std::lock_guard lock(mutex_);
        for (auto it = edges_.begin(); it != edges_.end();) {
            if (it->second.sink->deliver(delivery)) {
                ++it;
            } else {
                behind.push_back(std::move(it->second.sink));
                it = edges_.erase(it);
            }
        }
    }
    for (auto& sink : behind) {
        sink->end({sdk::Code::resource_exhausted, "the edge's stream is full; open it again and catch up"});
    }
}

sdk::Result<uint64_t> RouterService::subscribe_edge(const v1::SubscribeEdgeRequest& request,
                                                    std::shared_ptr<DeliverySink> sink) {
    if (sdk::Status checked = check_id("edge_id", request.edge_id()); !checked.ok()) return checked;
    std::lock_guard lock(mutex_);
    const uint64_t id = next_id_++;
    edges_[id] = Edge{request.edge_id(), std::move(sink)};
    return id;
}

void RouterService::unsubscribe(uint64_t id) {
    std::lock_guard lock(mutex_);
    edges_.erase(id);
}

void RouterService::end_all(const sdk::Status& status) {
    std::map<uint64_t, Edge> ending;
    {
        std::lock_guard lock(mutex_);
        ending.swap(edges_);
    }
    for (auto& [id, edge] : ending) edge.sink->end(status);
}

size_t RouterService::edges() const {
    std::lock_guard lock(mutex_);
    return edges_.size();
}

}  // namespace lanchat::router

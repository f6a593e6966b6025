#include "etcd/etcd_client.hpp"

#include <grpcpp/grpcpp.h>

#include "etcd/etcdserver/etcdserverpb/rpc.grpc.pb.h"
#include "lanchat/url/url.hpp"

namespace lanchat::host::etcd {
namespace {

using etcdserverpb::Compare;

// A member that went away is tried again soon rather than after gRPC's default backoff (up to 2 minutes), and
// a connection to a machine that vanished without closing it is noticed by keepalive pings (etcd refuses
// pings more often than every 5 s).
grpc::ChannelArguments channel_arguments() {
    grpc::ChannelArguments arguments;
    arguments.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 250);
    arguments.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 250);
    arguments.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
    arguments.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
    arguments.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 3000);
    arguments.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
    return arguments;
}

// The first key after every key that starts with `prefix` (etcd's range_end for a prefix).
std::string end_of_prefix(std::string prefix) {
    while (!prefix.empty()) {
        if (static_cast<unsigned char>(prefix.back()) < 0xff) {
            prefix.back() = static_cast<char>(prefix.back() + 1);
            return prefix;
        }
        prefix.pop_back();
    }
    return std::string(1, '\0');  // every key
}

KeyValue record_of(const mvccpb::KeyValue& kv) { return {kv.key(), kv.value(), kv.lease()}; }

// A stream to a member that lost its leader (cut off from the others) is ended by etcd rather than left
// silent, so the caller moves to a member that has one (what etcd's own client asks with WithRequireLeader).
void require_leader(grpc::ClientContext& context) { context.AddMetadata("hasleader", "true"); }

}  // namespace

struct Client::Member {
    std::string url;
    std::shared_ptr<grpc::Channel> channel;
    std::unique_ptr<etcdserverpb::KV::Stub> kv;
    std::unique_ptr<etcdserverpb::Lease::Stub> lease;
    std::unique_ptr<etcdserverpb::Watch::Stub> watch;

    sdk::Status error(const grpc::Status& status) const {
        auto code = static_cast<sdk::Code>(status.error_code());
        return {code, "etcd at " + url + ": " + status.error_message()};
    }
};

void WatchCancel::cancel() {
    std::lock_guard lock(mutex_);
    cancelled_ = true;
    if (context_ != nullptr) context_->TryCancel();
}

bool WatchCancel::attach(grpc::ClientContext* context) {
    std::lock_guard lock(mutex_);
    if (cancelled_) return false;
    context_ = context;
    return true;
}

void WatchCancel::detach() {
    std::lock_guard lock(mutex_);
    context_ = nullptr;
}

Client::Client(std::vector<std::string> urls, std::chrono::milliseconds call_timeout) : call_timeout_(call_timeout) {
    for (std::string& url : urls) {
        // The node file's reader has checked the URL; an IPv6 host goes back into its brackets.
        auto parsed = url::parse_url(url, {"http"});
        std::string target = url;
        if (parsed.ok()) {
            const std::string& host = parsed->server.host;
            target = (host.find(':') == std::string::npos ? host : "[" + host + "]") + ":" + parsed->server.port;
        }
        auto member = std::make_shared<Member>();
        member->url = std::move(url);
        member->channel = grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), channel_arguments());
        member->kv = etcdserverpb::KV::NewStub(member->channel);
        member->lease = etcdserverpb::Lease::NewStub(member->channel);
        member->watch = etcdserverpb::Watch::NewStub(member->channel);
        members_.push_back(std::move(member));
    }
}

Client::~Client() = default;

std::string Client::urls() const {
    std::string list;
    for (const auto& member : members_) list += (list.empty() ? "" : ", ") + member->url;
    return list;
}

std::shared_ptr<Client::Member> Client::current() const { return members_[current_.load() % members_.size()]; }

void Client::failed(const std::shared_ptr<Member>& member) {
    size_t index = current_.load();
    if (members_[index % members_.size()] == member) current_.compare_exchange_strong(index, index + 1);
}

std::chrono::system_clock::time_point Client::deadline() const {
    return std::chrono::system_clock::now() + call_timeout_;
}

sdk::Result<int64_t> Client::grant_lease(std::chrono::seconds ttl) {
    auto member = current();
    grpc::ClientContext context;
    context.set_deadline(deadline());
    etcdserverpb::LeaseGrantRequest request;
    request.set_ttl(ttl.count());
    etcdserverpb::LeaseGrantResponse response;
    grpc::Status status = member->lease->LeaseGrant(&context, request, &response);
    if (!status.ok()) {
        failed(member);
        return member->error(status);
    }
    if (!response.error().empty()) return sdk::unavailable("etcd at " + member->url + ": " + response.error());
    return response.id();
}

sdk::Result<int64_t> Client::keep_alive(int64_t lease) {
    auto member = current();
    grpc::ClientContext context;
    context.set_deadline(deadline());
    require_leader(context);
    auto stream = member->lease->LeaseKeepAlive(&context);
    etcdserverpb::LeaseKeepAliveRequest request;
    request.set_id(lease);
    etcdserverpb::LeaseKeepAliveResponse response;
    bool answered = stream->Write(request) && stream->Read(&response);
    stream->WritesDone();
    grpc::Status status = stream->Finish();
    if (!answered) {
        failed(member);
        if (status.ok()) return sdk::unavailable("etcd at " + member->url + " closed the keep-alive stream");
        return member->error(status);
    }
    return response.ttl();
}

sdk::Result<int64_t> Client::time_to_live(int64_t lease) {
    auto member = current();
    grpc::ClientContext context;
    context.set_deadline(deadline());
    etcdserverpb::LeaseTimeToLiveRequest request;
    request.set_id(lease);
    etcdserverpb::LeaseTimeToLiveResponse response;
    grpc::Status status = member->lease->LeaseTimeToLive(&context, request, &response);
    if (!status.ok()) {
        failed(member);
        return member->error(status);
    }
    return response.ttl();
}

sdk::Status Client::revoke(int64_t lease) {
    auto member = current();
    grpc::ClientContext context;
    context.set_deadline(deadline());
    etcdserverpb::LeaseRevokeRequest request;
    request.set_id(lease);
    etcdserverpb::LeaseRevokeResponse response;
    grpc::Status status = member->lease->LeaseRevoke(&context, request, &response);
    if (!status.ok()) {
        failed(member);
        return member->error(status);
    }
    return {};
}

sdk::Result<std::optional<KeyValue>> Client::create(const std::string& key, const std::string& value, int64_t lease) {
    auto member = current();
    grpc::ClientContext context;
    context.set_deadline(deadline());
    etcdserverpb::TxnRequest request;
    Compare* absent = request.add_compare();
    absent->set_result(Compare::EQUAL);
    absent->set_target(Compare::CREATE);
    absent->set_key(key);
    absent->set_create_revision(0);
    etcdserverpb::PutRequest* put = request.add_success()->mutable_request_put();
    put->set_key(key);
    put->set_value(value);
    put->set_lease(lease);
    request.add_failure()->mutable_request_range()->set_key(key);
    etcdserverpb::TxnResponse response;
    grpc::Status status = member->kv->Txn(&context, request, &response);
    if (!status.ok()) {
        failed(member);
        return member->error(status);
    }
    if (response.succeeded()) return std::optional<KeyValue>();
    for (const auto& answer : response.responses()) {
        for (const auto& kv : answer.response_range().kvs()) return std::optional<KeyValue>(record_of(kv));
    }
    // Held when compared, gone when read: a later attempt may take it.
    return sdk::Status(sdk::Code::aborted, "etcd key " + key + " changed while it was being created");
}

sdk::Status Client::put(const std::string& key, const std::string& value, int64_t lease) {
    auto member = current();
    grpc::ClientContext context;
    context.set_deadline(deadline());
    etcdserverpb::PutRequest request;
    request.set_key(key);
    request.set_value(value);
    request.set_lease(lease);
    etcdserverpb::PutResponse response;
    grpc::Status status = member->kv->Put(&context, request, &response);
    if (!status.ok()) {
        failed(member);
        return member->error(status);
    }
    return {};
}

sdk::Result<Snapshot> Client::list(const std::string& prefix) {
    auto member = current();
    grpc::ClientContext context;
    context.set_deadline(deadline());
    etcdserverpb::RangeRequest request;
    request.set_key(prefix);
    request.set_range_end(end_of_prefix(prefix));
    etcdserverpb::RangeResponse response;
    grpc::Status status = member->kv->Range(&context, request, &response);
    if (!status.ok()) {
        failed(member);
        return member->error(status);
    }
    Snapshot snapshot;
    snapshot.revision = response.header().revision();
    for (const auto& kv : response.kvs()) snapshot.records.push_back(record_of(kv));
    return snapshot;
}

sdk::Status Client::watch(const std::string& prefix, int64_t from_revision,
                          const std::function<void(const std::vector<Change>&)>& on_changes, WatchCancel& cancel) {
    auto member = current();
    grpc::ClientContext context;
    if (!cancel.attach(&context)) return {sdk::Code::cancelled, "the watch was cancelled"};
    require_leader(context);
    auto stream = member->watch->Watch(&context);
    etcdserverpb::WatchRequest request;
    etcdserverpb::WatchCreateRequest* create = request.mutable_create_request();
    create->set_key(prefix);
    create->set_range_end(end_of_prefix(prefix));
    create->set_start_revision(from_revision);
    sdk::Status ended = sdk::unavailable("etcd at " + member->url + " ended the watch");
    etcdserverpb::WatchResponse response;
    if (stream->Write(request)) {
        while (stream->Read(&response)) {
            if (response.canceled()) {
                ended = {sdk::Code::out_of_range, "etcd at " + member->url + " cancelled the watch (compacted to " +
                                                      std::to_string(response.compact_revision()) +
                                                      "): " + response.cancel_reason()};
                context.TryCancel();
                break;
            }
            if (response.events().empty()) continue;  // created, or a progress notice
            std::vector<Change> changes;
            for (const auto& event : response.events()) {
                changes.push_back({event.type() == mvccpb::Event::DELETE, record_of(event.kv())});
            }
            on_changes(changes);
        }
    }
    grpc::Status status = stream->Finish();
    cancel.detach();
    if (ended.code() == sdk::Code::out_of_range) return ended;
    if (status.error_code() == grpc::StatusCode::CANCELLED) return {sdk::Code::cancelled, "the watch was cancelled"};
    failed(member);
    return status.ok() ? ended : member->error(status);
}

}  // namespace lanchat::host::etcd

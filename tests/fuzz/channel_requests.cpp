// The Channel service's handlers over a real SQLite store (in /dev/shm, so commits cost no disk time): any
// bytes as the request of any of its RPCs, the store kept from one input to the next so later requests meet
// channels, members and messages earlier ones made.
#include <cstdlib>
#include <filesystem>
#include <future>
#include <memory>
#include <string>

#include "audit_outbox.hpp"
#include "channel_service.hpp"
#include "group_commit.hpp"
#include "service_request.hpp"
#include "sqlite_database.hpp"

namespace {

using namespace lanchat::channel;
namespace plugin_support = lanchat::plugin_support;

struct Channel {
    Channel() {
        std::string pattern = "/dev/shm/lanchat-fuzz-channel-XXXXXX";
        if (mkdtemp(pattern.data()) == nullptr) std::abort();
        directory = pattern;
        database = value_or_throw(
            plugin_support::SqliteDatabase::open(directory / "channel.sqlite", "channel store",
                                                 std::string(kChannelSchema) + plugin_support::AuditOutbox::kSchema));
        commits = std::make_unique<plugin_support::GroupCommit>(*database);
        store = value_or_throw(open_sqlite_store(*database, *commits));
        service = std::make_unique<ChannelService>(
            *store, ChannelLimits{}, [this] { return ++now; }, [] {});
    }
    ~Channel() {
        commits->stop();
        std::error_code ignored;
        std::filesystem::remove_all(directory, ignored);
    }

    template <class T>
    static T value_or_throw(lanchat::sdk::Result<T> result) {
        if (!result.ok()) std::abort();
        return std::move(*result);
    }

    // append() and amend() answer through a callback, after their commit.
    template <class Request, class Start>
    lanchat::fuzz::Method deferred(Start start) {
        return lanchat::fuzz::method<Request>([start](const Request& request) {
            std::promise<lanchat::sdk::Result<v1::AppendReply>> answer;
            start(request, [&answer](lanchat::sdk::Result<v1::AppendReply> given) { answer.set_value(given); });
            return answer.get_future().get();
        });
    }

    std::vector<lanchat::fuzz::Method> methods() {
        using lanchat::fuzz::method;
        ChannelService& s = *service;
        const std::string corr = "fuzz";
        return {
            method<v1::CreateChannelRequest>([&s, corr](auto& r) { return s.create_channel(r, corr); }),
            method<v1::OpenDirectRequest>([&s, corr](auto& r) { return s.open_direct(r, corr); }),
            method<v1::GetChannelRequest>([&s](auto& r) { return s.get_channel(r); }),
            method<v1::ListChannelsRequest>([&s](auto& r) { return s.list_channels(r); }),
            method<v1::RenameChannelRequest>([&s, corr](auto& r) { return s.rename_channel(r, corr); }),
            method<v1::ArchiveChannelRequest>([&s, corr](auto& r) { return s.archive_channel(r, corr); }),
            method<v1::JoinRequest>([&s, corr](auto& r) { return s.join(r, corr); }),
            method<v1::LeaveRequest>([&s, corr](auto& r) { return s.leave(r, corr); }),
            method<v1::InviteRequest>([&s, corr](auto& r) { return s.invite(r, corr); }),
            method<v1::RemoveRequest>([&s, corr](auto& r) { return s.remove(r, corr); }),
            method<v1::ListMembersRequest>([&s](auto& r) { return s.list_members(r); }),
            method<v1::HistoryRequest>([&s](auto& r) { return s.history(r); }),
            deferred<v1::AppendRequest>([&s](auto& r, auto done) { s.append(r, std::move(done)); }),
            deferred<v1::AmendRequest>([&s, corr](auto& r, auto done) { s.amend(r, corr, std::move(done)); }),
            method<v1::AudienceRequest>([&s](auto& r) { return s.audience(r); }),
            method<v1::MembershipsRequest>([&s](auto& r) { return s.memberships(r); }),
            method<v1::PositionsRequest>([&s](auto& r) { return s.positions(r); }),
        };
    }

    std::filesystem::path directory;
    std::unique_ptr<plugin_support::SqliteDatabase> database;
    std::unique_ptr<plugin_support::GroupCommit> commits;
    std::unique_ptr<ChannelStore> store;
    std::unique_ptr<ChannelService> service;
    int64_t now = 1'700'000'000'000;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static Channel channel;
    static const std::vector<lanchat::fuzz::Method> methods = channel.methods();
    lanchat::fuzz::call_one(methods, data, size);
    return 0;
}

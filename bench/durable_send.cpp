// Durable sends: the Channel store's acknowledged appends per second through its group commit, with one
// sender and with 100 concurrent senders in one channel, beside the baseline measured in the same run on
// the same disk: raw SQLite, one 128-byte row INSERTed and COMMITted per transaction by one thread. All
// files are WAL with synchronous=FULL, so every acknowledged append and every baseline row was fsynced.
// Each figure has the process's CPU seconds per 1,000 appends (getrusage: the senders and the committer).
//
// usage: durable_send [BASELINE_ROWS] [SECONDS] [DIRECTORY]   (defaults 5000, 5, /var/tmp: not a tmpfs)
#include <sqlite3.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <iostream>
#include <string>
#include <vector>

#include "audit_outbox.hpp"
#include "bench_support.hpp"
#include "channel_store.hpp"
#include "group_commit.hpp"
#include "sqlite_database.hpp"

namespace fs = std::filesystem;
using namespace lanchat;
using Clock = std::chrono::steady_clock;

namespace {

const std::string kBody(128, 'b');
constexpr int kManySenders = 100;

double cpu_seconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    auto seconds = [](const timeval& t) {
        return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
    };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

struct Measured {
    bench::Figures figures;
    double cpu_per_1000 = 0;
    double mean_batch = 0;
};

void check(int code, sqlite3* db, const char* doing) {
    if (code == SQLITE_OK || code == SQLITE_DONE) return;
    std::cerr << "durable_send: " << doing << ": " << sqlite3_errmsg(db) << "\n";
    std::exit(1);
}

// `rows` single-row transactions on a prepared INSERT, the best raw SQLite does with one fsync per row.
Measured baseline(const fs::path& file, int rows) {
    sqlite3* db = nullptr;
    check(sqlite3_open(file.c_str(), &db), db, "open the baseline file");
    check(sqlite3_exec(db,
                       "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                       "CREATE TABLE rows (id INTEGER PRIMARY KEY, body TEXT NOT NULL);",
                       nullptr, nullptr, nullptr),
          db, "set up the baseline file");
    sqlite3_stmt* insert = nullptr;
    check(sqlite3_prepare_v2(db, "INSERT INTO rows (body) VALUES (?1)", -1, &insert, nullptr), db, "prepare");
    std::vector<double> latencies;
    const double cpu_before = cpu_seconds();
    const auto began = Clock::now();
    for (int row = 0; row < rows; ++row) {
        const auto start = Clock::now();
        check(sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr), db, "begin");
        sqlite3_bind_text(insert, 1, kBody.data(), static_cast<int>(kBody.size()), SQLITE_STATIC);
        check(sqlite3_step(insert), db, "insert");
        sqlite3_reset(insert);
        check(sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr), db, "commit");
        latencies.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
    }
    const double elapsed = std::chrono::duration<double>(Clock::now() - began).count();
    Measured measured;
    measured.cpu_per_1000 = (cpu_seconds() - cpu_before) / (rows / 1000.0);
    sqlite3_finalize(insert);
    sqlite3_close(db);
    std::sort(latencies.begin(), latencies.end());
    measured.figures.qps = rows / elapsed;
    measured.figures.p50_us = latencies[latencies.size() / 2];
    measured.figures.p99_us = latencies[latencies.size() * 99 / 100];
    measured.figures.calls = static_cast<uint64_t>(rows);
    measured.mean_batch = 1;
    return measured;
}

// The Channel store on its own file: one public channel whose members are the senders.
class ChannelStoreRig {
public:
    explicit ChannelStoreRig(const fs::path& file)
        : database_(value_or_throw(plugin_support::SqliteDatabase::open(
              file, "channel store", std::string(channel::kChannelSchema) + plugin_support::AuditOutbox::kSchema))),
          commits_(*database_),
          store_(value_or_throw(channel::open_sqlite_store(*database_, commits_))) {
        channel::v1::ChannelInfo info;
        info.set_id("c_bench");
        info.set_name("bench");
        info.set_kind(channel::v1::PUBLIC);
        std::vector<channel::v1::Member> members;
        for (int sender = 0; sender < kManySenders; ++sender) {
            channel::v1::Member member;
            member.set_channel_id(info.id());
            member.set_user_id(author(sender));
            members.push_back(member);
        }
        if (sdk::Status created = store_->create_channel(info, members, {}); !created.ok()) {
            std::cerr << "durable_send: cannot create the channel: " << created.message() << "\n";
            std::exit(1);
        }
    }

    // `senders` threads, each appending and waiting for the acknowledgement before the next.
    Measured measure(int senders, int seconds) {
        const uint64_t commits_before = commits_.commits(), units_before = commits_.units();
        const double cpu_before = cpu_seconds();
        Measured measured;
        measured.figures = bench::closed_loop(senders, seconds, [&](int sender, uint64_t n) {
            channel::v1::Message draft;
            draft.set_channel_id("c_bench");
            draft.set_author_id(author(sender));
            draft.set_body(kBody);
            draft.set_client_message_id(std::to_string(senders) + "-" + std::to_string(n));
            draft.set_event(channel::v1::Message::POSTED);
            std::promise<bool> acknowledged;
            store_->append(draft, {},
                           [&](sdk::Result<channel::Appended> appended) { acknowledged.set_value(appended.ok()); });
            return acknowledged.get_future().get();
        });
        const double acked = static_cast<double>(measured.figures.calls - measured.figures.errors);
        measured.cpu_per_1000 = (cpu_seconds() - cpu_before) / (acked / 1000.0);
        const uint64_t commits = commits_.commits() - commits_before;
        measured.mean_batch = commits == 0 ? 0 : static_cast<double>(commits_.units() - units_before) / commits;
        return measured;
    }

private:
    static std::string author(int sender) { return "sender-" + std::to_string(sender); }

    std::unique_ptr<plugin_support::SqliteDatabase> database_;
    plugin_support::GroupCommit commits_;
    std::unique_ptr<channel::ChannelStore> store_;
};

void print(const char* what, const Measured& measured, const Measured& base) {
    std::printf(
        "%-38s %8.0f /s  p50 %7.0f us  p99 %7.0f us  %.4f CPU-s per 1,000  %5.2f x baseline  "
        "batch %5.1f  errors %llu\n",
        what, measured.figures.qps, measured.figures.p50_us, measured.figures.p99_us, measured.cpu_per_1000,
        measured.figures.qps / base.figures.qps, measured.mean_batch,
        static_cast<unsigned long long>(measured.figures.errors));
}

}  // namespace

int main(int argc, char** argv) {
    const int rows = argc > 1 ? std::atoi(argv[1]) : 5000;
    const int seconds = argc > 2 ? std::atoi(argv[2]) : 5;
    const fs::path parent = argc > 3 ? argv[3] : "/var/tmp";
    if (rows <= 0 || seconds <= 0) {
        std::cerr << "usage: durable_send [BASELINE_ROWS] [SECONDS] [DIRECTORY]\n";
        return 2;
    }
    std::string pattern = (parent / "lanchat-durable-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
        std::cerr << "durable_send: cannot make a directory in " << parent << "\n";
        return 1;
    }
    const fs::path dir = pattern;
    std::printf("durable_send: WAL, synchronous=FULL, files in %s; %d s per store measurement, %d baseline rows\n",
                dir.c_str(), seconds, rows);
    const Measured base = baseline(dir / "baseline.sqlite", rows);
    print("baseline: raw SQLite INSERT+COMMIT", base, base);
    ChannelStoreRig rig(dir / "channel.sqlite");
    print("channel store, 1 sender", rig.measure(1, seconds), base);
    print("channel store, 100 concurrent senders", rig.measure(kManySenders, seconds), base);
    std::error_code ignored;
    fs::remove_all(dir, ignored);
    return 0;
}

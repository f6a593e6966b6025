// Durable sends: the Channel store's acknowledged appends per second through its group commit, with one
// sender and with 100 concurrent senders in one channel, beside the baseline measured in the same run on
// the same disk: raw SQLite, one 128-byte row INSERTed and COMMITted per transaction by one thread. All
// files are WAL with synchronous=FULL, so every acknowledged append and every baseline row was fsynced.
// Each figure has the process's CPU seconds per 1,000 appends (getrusage: the senders and the committer).
// With --postgresql DSN the same, for the Channel store in PostgreSQL (a fresh schema in that database,
// synchronous_commit = on) beside raw libpq INSERT+COMMIT per row; each figure adds the server's CPU seconds
// per 1,000 (the store's PostgreSQL backend process, from /proc: run it on the server's machine).
//
// usage: durable_send [BASELINE_ROWS] [SECONDS] [DIRECTORY]   (defaults 5000, 5, /var/tmp: not a tmpfs)
//        durable_send --postgresql DSN [BASELINE_ROWS] [SECONDS]
#include <libpq-fe.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "audit_outbox.hpp"
#include "bench_support.hpp"
#include "channel_store.hpp"
#include "group_commit.hpp"
#include "postgres_database.hpp"
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
    double server_cpu_per_1000 = -1;  // PostgreSQL's backend; negative when there is none
};

// utime + stime of process `pid` in seconds, from /proc (the PostgreSQL backend serving a connection).
double process_cpu_seconds(int pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    std::istringstream fields(text.substr(text.rfind(')') + 2));
    std::string field;
    double ticks = 0;
    for (int index = 3; fields >> field; ++index) {
        if (index == 14 || index == 15) ticks += std::stod(field);
        if (index == 15) break;
    }
    return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

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

// The Channel store on its own file, or in PostgreSQL: one public channel whose members are the senders.
class ChannelStoreRig {
public:
    explicit ChannelStoreRig(const fs::path& file) {
        auto database = value_or_throw(plugin_support::SqliteDatabase::open(
            file, "channel store", std::string(channel::kChannelSchema) + plugin_support::AuditOutbox::kSchema));
        commits_ = std::make_unique<plugin_support::GroupCommit>(*database);
        store_ = value_or_throw(channel::open_sqlite_store(*database, *commits_));
        database_ = std::move(database);
        create_channel();
    }

    explicit ChannelStoreRig(const std::string& dsn) {
        auto database = value_or_throw(
            plugin_support::PostgresDatabase::open(dsn, "channel store", channel::channel_postgres_schema()));
        backend_pid_ =
            static_cast<int>(value_or_throw(database->query("SELECT pg_backend_pid()", {}, "pid")).integer(0, 0));
        commits_ = std::make_unique<plugin_support::GroupCommit>(*database);
        store_ = channel::open_postgres_store(*database, *commits_);
        database_ = std::move(database);
        create_channel();
    }

    ~ChannelStoreRig() {
        store_.reset();
        commits_.reset();
    }

    void create_channel() {
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
        const uint64_t commits_before = commits_->commits(), units_before = commits_->units();
        const double cpu_before = cpu_seconds();
        const double server_before = backend_pid_ != 0 ? process_cpu_seconds(backend_pid_) : 0;
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
        if (backend_pid_ != 0) {
            measured.server_cpu_per_1000 = (process_cpu_seconds(backend_pid_) - server_before) / (acked / 1000.0);
        }
        const uint64_t commits = commits_->commits() - commits_before;
        measured.mean_batch = commits == 0 ? 0 : static_cast<double>(commits_->units() - units_before) / commits;
        return measured;
    }

private:
    static std::string author(int sender) { return "sender-" + std::to_string(sender); }

    std::unique_ptr<plugin_support::Transactional> database_;
    std::unique_ptr<plugin_support::GroupCommit> commits_;
    std::unique_ptr<channel::ChannelStore> store_;
    int backend_pid_ = 0;
};

void fail_unless(bool ok, PGconn* connection, const char* doing) {
    if (ok) return;
    std::cerr << "durable_send: " << doing << ": " << PQerrorMessage(connection) << "\n";
    std::exit(1);
}

// `rows` single-row transactions through libpq on a prepared INSERT, synchronous_commit = on: the best raw
// PostgreSQL does with one commit per row. Leaves its table behind only until the next run.
Measured postgres_baseline(const std::string& dsn, int rows) {
    PGconn* connection = PQconnectdb(dsn.c_str());
    fail_unless(PQstatus(connection) == CONNECTION_OK, connection, "connect");
    auto exec = [&](const char* sql) {
        PGresult* result = PQexec(connection, sql);
        fail_unless(PQresultStatus(result) == PGRES_COMMAND_OK || PQresultStatus(result) == PGRES_TUPLES_OK, connection,
                    sql);
        PQclear(result);
    };
    exec("SET synchronous_commit = on");
    exec("DROP TABLE IF EXISTS durable_send_baseline");
    exec("CREATE TABLE durable_send_baseline (id BIGSERIAL PRIMARY KEY, body TEXT NOT NULL)");
    PGresult* prepared =
        PQprepare(connection, "insert", "INSERT INTO durable_send_baseline (body) VALUES ($1)", 1, nullptr);
    fail_unless(PQresultStatus(prepared) == PGRES_COMMAND_OK, connection, "prepare");
    PQclear(prepared);
    const int backend = PQbackendPID(connection);
    std::vector<double> latencies;
    const double cpu_before = cpu_seconds(), server_before = process_cpu_seconds(backend);
    const auto began = Clock::now();
    const char* values[] = {kBody.c_str()};
    for (int row = 0; row < rows; ++row) {
        const auto start = Clock::now();
        exec("BEGIN");
        PGresult* inserted = PQexecPrepared(connection, "insert", 1, values, nullptr, nullptr, 0);
        fail_unless(PQresultStatus(inserted) == PGRES_COMMAND_OK, connection, "insert");
        PQclear(inserted);
        exec("COMMIT");
        latencies.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
    }
    const double elapsed = std::chrono::duration<double>(Clock::now() - began).count();
    Measured measured;
    measured.cpu_per_1000 = (cpu_seconds() - cpu_before) / (rows / 1000.0);
    measured.server_cpu_per_1000 = (process_cpu_seconds(backend) - server_before) / (rows / 1000.0);
    exec("DROP TABLE durable_send_baseline");
    PQfinish(connection);
    std::sort(latencies.begin(), latencies.end());
    measured.figures.qps = rows / elapsed;
    measured.figures.p50_us = latencies[latencies.size() / 2];
    measured.figures.p99_us = latencies[latencies.size() * 99 / 100];
    measured.figures.calls = static_cast<uint64_t>(rows);
    measured.mean_batch = 1;
    return measured;
}

void print(const char* what, const Measured& measured, const Measured& base) {
    std::printf(
        "%-38s %8.0f /s  p50 %7.0f us  p99 %7.0f us  %.4f CPU-s per 1,000  %5.2f x baseline  "
        "batch %5.1f  errors %llu\n",
        what, measured.figures.qps, measured.figures.p50_us, measured.figures.p99_us, measured.cpu_per_1000,
        measured.figures.qps / base.figures.qps, measured.mean_batch,
        static_cast<unsigned long long>(measured.figures.errors));
    if (measured.server_cpu_per_1000 >= 0)
        std::printf("%38s server (PostgreSQL backend) %.4f CPU-s per 1,000\n", "", measured.server_cpu_per_1000);
}

// The Channel store in PostgreSQL beside raw libpq. The store's tables are made in `dsn`'s database (give
// it an empty one: they are left there).
int run_postgresql(const std::string& dsn, int rows, int seconds) {
    std::printf("durable_send: PostgreSQL, synchronous_commit = on; %d s per store measurement, %d baseline rows\n",
                seconds, rows);
    const Measured base = postgres_baseline(dsn, rows);
    print("baseline: raw libpq INSERT+COMMIT", base, base);
    ChannelStoreRig rig(dsn);
    print("postgres channel store, 1 sender", rig.measure(1, seconds), base);
    print("postgres channel store, 100 senders", rig.measure(kManySenders, seconds), base);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc > 2 && std::string(argv[1]) == "--postgresql") {
        const int rows = argc > 3 ? std::atoi(argv[3]) : 5000;
        const int seconds = argc > 4 ? std::atoi(argv[4]) : 5;
        if (rows <= 0 || seconds <= 0) {
            std::cerr << "usage: durable_send --postgresql DSN [BASELINE_ROWS] [SECONDS]\n";
            return 2;
        }
        return run_postgresql(argv[2], rows, seconds);
    }
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

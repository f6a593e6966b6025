#include "postgres_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>

#include "child_process.hpp"

namespace lanchat::testing {

namespace {

constexpr const char* kBin = "/usr/lib/postgresql/15/bin/";
constexpr const char* kPassword = "lanchat-test-password";

std::unique_ptr<PostgresServer>& shared() {
    static std::unique_ptr<PostgresServer> server;
    return server;
}

int free_port() {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        close(fd);
        throw std::runtime_error("cannot find a free port for PostgreSQL");
    }
    close(fd);
    return ntohs(address.sin_port);
}

std::string read_file(const std::filesystem::path& file) {
    std::ifstream in(file);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// The directory belongs to `postgres` when running as root: its server must own its data.
void hand_to_postgres(const std::filesystem::path& directory) {
    if (geteuid() != 0) return;
    const passwd* user = getpwnam("postgres");
    if (user == nullptr) throw std::runtime_error("there is no `postgres` user: install the postgresql package");
    if (chown(directory.c_str(), user->pw_uid, user->pw_gid) != 0) {
        throw std::runtime_error("cannot give " + directory.string() + " to the postgres user");
    }
}

}  // namespace

// initdb takes about a second: the first server of a machine initialises a template directory once (under a
// lock, for test processes running side by side), and every server starts from a copy of it.
std::filesystem::path PostgresServer::initialised_template() const {
    const std::filesystem::path base =
        std::filesystem::temp_directory_path() / ("lanchat-postgres-15-template-" + std::to_string(getuid()));
    const int lock = open((base.string() + ".lock").c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
    if (lock < 0 || flock(lock, LOCK_EX) != 0) throw std::runtime_error("cannot lock " + base.string() + ".lock");
    if (!std::filesystem::exists(base / "data" / "PG_VERSION")) {
        std::error_code ignored;
        std::filesystem::remove_all(base, ignored);
        std::filesystem::create_directory(base);
        hand_to_postgres(base);
        std::ofstream(base / "password") << kPassword << "\n";
        hand_to_postgres(base / "password");
        run_as_postgres(
            {std::string(kBin) + "initdb", "-D", (base / "making").string(), "-A", "scram-sha-256",
             "--pwfile=" + (base / "password").string(), "-U", "postgres", "--no-sync", "--no-instructions"},
            "initdb");
        std::filesystem::rename(base / "making", base / "data");
    }
    close(lock);  // releases the lock
    return base / "data";
}

PostgresServer::PostgresServer() {
    std::string pattern = (std::filesystem::temp_directory_path() / "lanchat-postgres-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    root_ = pattern;
    hand_to_postgres(root_);
    std::filesystem::create_directory(root_ / "socket");
    hand_to_postgres(root_ / "socket");
    run_as_postgres({"/bin/cp", "-a", initialised_template().string(), (root_ / "data").string()}, "copy the template");
    port_ = free_port();
    start();
}

PostgresServer::~PostgresServer() {
    try {
        stop();
    } catch (const std::exception&) {
        // the files go either way; a server left running exits once its lock file is gone
    }
    std::error_code ignored;
    std::filesystem::remove_all(root_, ignored);
}

void PostgresServer::start() {
    run_as_postgres(
        {std::string(kBin) + "pg_ctl", "-D", (root_ / "data").string(), "-o",
         "-p " + std::to_string(port_) + " -k " + (root_ / "socket").string() + " -c listen_addresses=127.0.0.1", "-l",
         (root_ / "server.log").string(), "-w", "start"},
        "pg_ctl start");
    running_ = true;
}

void PostgresServer::stop() {
    if (!running_) return;
    running_ = false;
    run_as_postgres({std::string(kBin) + "pg_ctl", "-D", (root_ / "data").string(), "-m", "immediate", "-w", "stop"},
                    "pg_ctl stop");
}

std::string PostgresServer::dsn(const std::string& database) const {
    return "host=127.0.0.1 port=" + std::to_string(port_) + " dbname=" + database +
           " user=postgres password=" + kPassword;
}

std::string PostgresServer::create_database() {
    const std::string name = "test_" + std::to_string(++databases_);
    value(dsn("postgres"), "CREATE DATABASE " + name);
    return dsn(name);
}

std::string PostgresServer::value(const std::string& dsn, const std::string& sql) {
    PGconn* connection = PQconnectdb(dsn.c_str());
    std::string failure;
    std::string found;
    if (PQstatus(connection) != CONNECTION_OK) {
        failure = PQerrorMessage(connection);
    } else {
        PGresult* result = PQexec(connection, sql.c_str());
        const ExecStatusType state = PQresultStatus(result);
        if (state != PGRES_COMMAND_OK && state != PGRES_TUPLES_OK) failure = PQresultErrorMessage(result);
        if (state == PGRES_TUPLES_OK && PQntuples(result) > 0) found = PQgetvalue(result, 0, 0);
        PQclear(result);
    }
    PQfinish(connection);
    if (!failure.empty()) throw std::runtime_error(sql + ": " + failure);
    return found;
}

void PostgresServer::run_as_postgres(std::vector<std::string> argv, const std::string& doing) const {
    if (geteuid() == 0) argv.insert(argv.begin(), {"/usr/sbin/runuser", "-u", "postgres", "--"});
    Completed done = run_to_exit(std::move(argv), std::chrono::seconds(60));
    if (done.exit_code != 0) {
        throw std::runtime_error(doing + " failed (" + std::to_string(done.exit_code) + "): " + done.output +
                                 "\nserver log: " + read_file(root_ / "server.log"));
    }
}

PostgresServer& PostgresEnvironment::server() {
    if (!shared()) shared() = std::make_unique<PostgresServer>();
    return *shared();
}

void PostgresEnvironment::TearDown() { shared().reset(); }

}  // namespace lanchat::testing

// PostgresServer: a real PostgreSQL 15 for the tests of one test process, in a temporary directory: initdb
// (once per machine, then copied) and pg_ctl as the `postgres` user when the tests run as root (initdb refuses root),
// listening on 127.0.0.1 on a free port with its own socket directory, password authentication (scram-sha-256). It
// starts on first use and stops when the binary's tests end (PostgresEnvironment); each test takes a database of its
// own, so tests never see each other's rows.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>

namespace lanchat::testing {

class PostgresServer {
public:
    // initdb, then start; throws std::runtime_error with the server's log when either fails.
    PostgresServer();
    ~PostgresServer();  // stops the server and removes its files
    PostgresServer(const PostgresServer&) = delete;
    PostgresServer& operator=(const PostgresServer&) = delete;

    // A new, empty database; returns the connection string that reaches it (with the password).
    std::string create_database();
    // The connection string of `database` on this server.
    std::string dsn(const std::string& database) const;
    // Stops the server (a lost PostgreSQL, as a node sees it), and starts it again on the same port.
    void stop();
    void start();
    int port() const { return port_; }
    // The first column of the first row `sql` returns on `dsn` (empty when none); throws when it fails.
    static std::string value(const std::string& dsn, const std::string& sql);

private:
    std::filesystem::path initialised_template() const;
    void run_as_postgres(std::vector<std::string> argv, const std::string& doing) const;

    std::filesystem::path root_;
    int port_ = 0;
    int databases_ = 0;
    bool running_ = false;
};

// Owns the binary's one server: register it in a test file with
//   const auto* const kPostgres = ::testing::AddGlobalTestEnvironment(new lanchat::testing::PostgresEnvironment);
// and reach it with PostgresEnvironment::server() (started on first call, so tests of other backends in the
// same binary never pay for it).
class PostgresEnvironment : public ::testing::Environment {
public:
    static PostgresServer& server();
    void TearDown() override;
};

}  // namespace lanchat::testing

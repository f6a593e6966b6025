// StoreChoice: the settings a stateful plugin reads to choose its store, and what they mean. SQLite (a file
// in the plugin's data dir) is the default; PostgreSQL is the store several nodes share, reached through a
// connection string given inline or, so a password stays out of the node file, in a file of its own.
#pragma once

#include <string>

#include "lanchat/sdk/settings.hpp"

namespace lanchat::plugin_support {

// Rows for the plugin's settings table (its kSettings), in this order after its own.
inline constexpr sdk::Setting kStoreSetting = sdk::setting::string(
    "store", "sqlite", "where its state lives: sqlite (a file in its data dir) or postgresql (shared by nodes)");
inline constexpr sdk::Setting kPostgresDsnSetting = sdk::setting::string(
    "postgres_dsn", "", "with store = \"postgresql\": the libpq connection string (key=value pairs or a URI)");
inline constexpr sdk::Setting kPostgresDsnFileSetting =
    sdk::setting::string("postgres_dsn_file", "",
                         "with store = \"postgresql\": a file whose first line is the connection string (keeps "
                         "the password out of the node file)");

struct StoreChoice {
    bool postgres = false;
    std::string dsn;  // with postgres: the connection string, read from postgres_dsn_file if that was given
};

// What the three settings ask for; INVALID_ARGUMENT naming the setting when they contradict each other
// or the DSN file cannot be read.
sdk::Result<StoreChoice> choose_store(const sdk::Settings& settings);

}  // namespace lanchat::plugin_support

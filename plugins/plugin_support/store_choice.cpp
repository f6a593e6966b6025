#include "store_choice.hpp"

#include "postgres_database.hpp"

namespace lanchat::plugin_support {

sdk::Result<StoreChoice> choose_store(const sdk::Settings& settings) {
    const std::string store = settings.get<std::string>("store");
    const std::string dsn = settings.get<std::string>("postgres_dsn");
    const std::string dsn_file = settings.get<std::string>("postgres_dsn_file");
    if (store == "sqlite") {
        if (!dsn.empty() || !dsn_file.empty()) {
            return sdk::invalid_argument(std::string(dsn.empty() ? "postgres_dsn_file" : "postgres_dsn") +
                                         " is set but store is \"sqlite\": set store = \"postgresql\", or remove it");
        }
        return StoreChoice{};
    }
    if (store != "postgresql") {
        return sdk::invalid_argument("store is \"" + store + "\": it must be \"sqlite\" or \"postgresql\"");
    }
    if (dsn.empty() == dsn_file.empty()) {
        return sdk::invalid_argument(
            "store = \"postgresql\" needs exactly one of postgres_dsn and postgres_dsn_file, not " +
            std::string(dsn.empty() ? "neither" : "both"));
    }
    if (!dsn.empty()) return StoreChoice{true, dsn};
    auto read = read_dsn_file(dsn_file);
    if (!read.ok()) return read.status();
    return StoreChoice{true, *read};
}

}  // namespace lanchat::plugin_support

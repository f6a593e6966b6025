// The two stores a stateful plugin's tests run against: SQLite (the embedded default) and PostgreSQL (a
// database of the test's own on the process's server, postgres_server.hpp). Parameterize a store suite
// with INSTANTIATE_TEST_SUITE_P(BothStores, Suite, kBothStores, store_backend_name) so neither drifts.
#pragma once

#include <gtest/gtest.h>

#include <ostream>
#include <string>

namespace lanchat::testing {

enum class StoreBackend { sqlite, postgresql };

inline const auto kBothStores = ::testing::Values(StoreBackend::sqlite, StoreBackend::postgresql);

inline const char* store_backend_label(StoreBackend backend) {
    return backend == StoreBackend::sqlite ? "sqlite" : "postgresql";
}

// For test names: "sqlite" or "postgresql".
inline std::string store_backend_name(const ::testing::TestParamInfo<StoreBackend>& info) {
    return store_backend_label(info.param);
}

// The same for GoogleTest's messages and the names ctest lists.
inline void PrintTo(StoreBackend backend, std::ostream* out) { *out << store_backend_label(backend); }

}  // namespace lanchat::testing

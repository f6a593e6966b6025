// The plugin's entry: its settings, then which class, under which name and version.
#include "heartbeat.hpp"

namespace {

// Checked by the SDK before the constructor runs, printed by `lanchatd --describe`, checked by `--check`.
constexpr lanchat::sdk::Setting kSettings[] = {
    lanchat::sdk::setting::milliseconds("interval_ms", 1000, 1, lanchat::sdk::setting::kNoLimit,
                                        "how often to log a beat"),
    lanchat::sdk::setting::string("message", "beat", "the text of each beat's log line"),
};

}  // namespace

LANCHAT_PLUGIN(heartbeat::Heartbeat, "heartbeat", "1.0.0", kSettings)

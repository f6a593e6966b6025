// The plugin's entry: which class, under which name and version.
#include "heartbeat.hpp"

LANCHAT_PLUGIN(heartbeat::Heartbeat, "heartbeat", "1.0.0")

// The lanchat plugin SDK: include this one header to write a plugin.
#pragma once

#include "lanchat/sdk/abi_version.hpp"
#include "lanchat/sdk/config.hpp"
#include "lanchat/sdk/drain.hpp"
#include "lanchat/sdk/executor.hpp"
#include "lanchat/sdk/export.hpp"
#include "lanchat/sdk/host.hpp"
#include "lanchat/sdk/logger.hpp"
#include "lanchat/sdk/membership.hpp"
#include "lanchat/sdk/metrics.hpp"
#include "lanchat/sdk/plugin.hpp"
#include "lanchat/sdk/settings.hpp"
#include "lanchat/sdk/state.hpp"
#include "lanchat/sdk/status.hpp"

#pragma once
// Offline maintenance of a node's data folder (the server must not be running: the log's lock
// refuses a second opener). `uurwerk digest` catches the projections up with the log and prints
// their digest; `uurwerk rebuild` rebuilds them from the log alone, then swaps them in.

#include <string>

#include "ledger/core/base.h"

namespace uurwerk {

[[nodiscard]] result<void> digest_command(const std::string& data_dir);
[[nodiscard]] result<void> rebuild_command(const std::string& data_dir);

}  // namespace uurwerk

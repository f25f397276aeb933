#pragma once
// Offline maintenance of a node's data folder (the server must not be running: the log's lock
// refuses a second opener). `uurwerk digest` catches the projections up with the log and prints
// their digest; `uurwerk rebuild` rebuilds them from the log alone, then swaps them in.
//
// Backups (embedded log only; a Kafka node's log is the replicated topic). `uurwerk backup`
// runs while the server runs: it copies the log online (ledger/log/local_log.h,
// copy_local_log: a prefix of the log cut at a record boundary, every record checked) and the
// operator's files at the top of the data folder (founders, node.key, operator_token), and no
// store: the log is the truth, and the store is folded from it again on restore. The backup
// folder is written under another name and renamed once whole, with a BACKUP file naming what
// it holds, so a half-made backup never looks like one. `uurwerk restore` copies a backup into
// a new data folder, checks every record again, rebuilds the store from the log, and renames
// the folder into place once whole. Neither ever overwrites a folder.

#include <string>

#include "ledger/core/base.h"

namespace uurwerk {

[[nodiscard]] result<void> digest_command(const std::string& data_dir);
[[nodiscard]] result<void> rebuild_command(const std::string& data_dir);
[[nodiscard]] result<void> backup_command(const std::string& data_dir, const std::string& out_dir);
[[nodiscard]] result<void> restore_command(const std::string& backup_dir,
                                           const std::string& data_dir);

}  // namespace uurwerk

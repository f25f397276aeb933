#pragma once
// The operator's consent to found communities. Anyone who can reach a node could otherwise found
// a community of their own and write to the log without limit; so a node takes a founding event
// only from a key its operator allowed. The list is the file DIR/founders: one lower-case hex
// Ed25519 public key per line, '#' starts a comment. `uurwerk allow-founder` appends to it; a
// running node reads it again for every founding event it is sent (founding is rare), so a key
// allowed while it runs counts at once.
//
// This is a gate before the log, like refusing an unknown signer: in a cluster each node keeps
// its own list. The fold does not look at it (a founding that reached the log is decided by the
// rules alone, the same on every replica).
//
// Threading: the functions may be called from any thread; appends are not atomic against one
// another across processes (one operator runs them).

#include <filesystem>

#include "ledger/core/event.h"

namespace uurwerk {

[[nodiscard]] std::filesystem::path founders_file(const std::filesystem::path& data_dir);

// Appends `k` to DIR/founders (made with the folder when missing), synced; a key already listed
// is not added twice. Errors: "io_error".
[[nodiscard]] result<void> allow_founder(const std::filesystem::path& data_dir,
                                         const public_key& k);

// Whether `k` is listed in DIR/founders (no file: nobody is). Errors: "io_error",
// "bad_founders_file" (a line that is not 64 hex characters, naming it).
[[nodiscard]] result<bool> founder_allowed(const std::filesystem::path& data_dir,
                                           const public_key& k);

// How many keys DIR/founders lists (0 without the file).
[[nodiscard]] result<std::size_t> founders_count(const std::filesystem::path& data_dir);

}  // namespace uurwerk

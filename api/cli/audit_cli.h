#pragma once
// `uurwerk audit ...` and `uurwerk announce-node`: the auditor's commands. `checkpoint` asks the
// server to sign one now; `export` writes a community's log in the export format
// (ledger/core/audit.h); `verify` checks an export offline with nothing but trusted node keys;
// `certificate` and `verify-certificate` make and check a member's hour certificate.
// Progress goes to stderr; results to stdout; errors as the other commands' (api/cli/cli.h).

#include <string>
#include <vector>

#include "api/args/cli_args.h"

namespace uurwerk::cli {

[[nodiscard]] std::vector<option_spec> audit_option_specs();
[[nodiscard]] result<void> audit_command(const std::string& what, const parsed_args& a);

}  // namespace uurwerk::cli

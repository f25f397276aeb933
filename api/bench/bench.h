#pragma once
// `uurwerk bench verify | ingest | replay | audit`, and the entry of every bench (`match` and
// `fairness` are bench_match.h's and bench_fairness.h's): measurements, printed, never
// asserted. Each shows progress on stderr while it runs and ends its standard output with one
// line of JSON holding its figures, units last in the names.

#include <string>
#include <vector>

#include "api/args/cli_args.h"

namespace uurwerk::cli {

std::vector<option_spec> bench_options();
[[nodiscard]] result<void> bench_command(const std::string& what, const parsed_args& args);

}  // namespace uurwerk::cli

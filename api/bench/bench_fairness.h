#pragma once
// `uurwerk bench fairness`: the community simulator (matching/simulator.h) played through a real
// node (its log, its projections, its matcher), once with the fairness layer on and once off,
// with the same seed and so the same town and requests (common random numbers); the measures of
// matching/fair_share.h for each, and the chance baseline. Figures printed, never asserted; the
// last line of standard output is one line of JSON.

#include "api/args/cli_args.h"

namespace uurwerk::cli {

[[nodiscard]] result<void> bench_fairness(const parsed_args& args);

// The simulated town's parameters as flags (matching/simulator.h), each with its default; also
// `--seed`, shared with `bench match`.
std::vector<option_spec> fairness_model_options();

}  // namespace uurwerk::cli

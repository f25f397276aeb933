#pragma once
// `uurwerk bench retention`: what the retention sweep (api/node/node.h: sweep_retention) costs.
// One node on a clock of the benchmark's own holds a community whose policy keeps texts one day;
// --texts offers (10,000), each with a text, are posted and withdrawn, and as many claims with a
// note are made and confirmed. The clock then moves a day on and the node sweeps: the first
// sweep deletes every text (one write, one flush and compaction); a second finds them all due and
// none left (the hourly sweep from then on). Prints both sweeps' times and the bytes of the
// personal-data store's SST and write-ahead log files before and after; the last line of standard
// output is their JSON. Measurements are printed, never asserted.
//
// Threading: runs on the calling thread.

#include "api/args/cli_args.h"

namespace uurwerk::cli {

[[nodiscard]] result<void> bench_retention(const parsed_args& args);

}  // namespace uurwerk::cli

#pragma once
// `uurwerk bench reports`: the coordinators' reports (api/node/reports.h) over a community of
// --events events (1,000,000; the `bench audit` log: a checkpoint every 100,000 events and one
// after the last). Times the reading of the whole tree into the node's report facts (what a
// serving node's refresher, or the first report, does after a start: api/node/reports.h), then
// each report as the node computes it at the latest
// checkpoint from those facts (the best and the median of --rounds, 3), and once through HTTP as
// a coordinator reads it (the server's own cache: its first report reads the tree); then
// the offline recomputation from the export (`uurwerk audit report`): the full verification
// of the export with every report recomputed, and the reports' fold alone, both in events/s.
// Checks that the offline CSV is the node's, byte for byte (a difference fails the bench).
// Prints the figures; the last line of standard output is their JSON. Measured, never asserted.
//
// Threading: runs on the calling thread (the offline verification on every core).

#include "api/args/cli_args.h"

namespace uurwerk::cli {

[[nodiscard]] result<void> bench_reports(const parsed_args& args);

}  // namespace uurwerk::cli

#pragma once
// `uurwerk bench match`: the live match queues (projections/match_queues.h) at the size of a big
// community. A community with --offers open offers (100,000) and --requests open requests
// (10,000) is written to a log and replayed with the queues kept and without them (what keeping
// them adds to a replay); then a node serves it over HTTP on loopback and one client asks for
// the candidates of random open requests, first with nothing else going on, then while other
// clients ingest new events at half the ingest rate this node reached in the same run.
// Measurements are printed, never asserted; the last line of standard output is their JSON
// (`p50_ms`, `p99_ms` are those of the candidates under ingest).
//
// Threading: runs on the calling thread, with client threads of its own.

#include "api/args/cli_args.h"

namespace uurwerk::cli {

[[nodiscard]] result<void> bench_match(const parsed_args& args);

}  // namespace uurwerk::cli

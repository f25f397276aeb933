#pragma once
// `uurwerk bench reads`: what signing in costs a read. One node holds a community of --members
// members (200) and their history (--events, 5000); two HTTP servers on loopback answer for it,
// one with the access rules checked (api/http/access.h) and one without them, and one client
// reads random members' balances, each with the member's own session, from each in turn, for
// --rounds alternated rounds (10) of 2,000 reads. Every token is used once before the rounds
// (its signature verified then, as after a member's first read); the rounds measure the reads
// that follow, answered from the session cache. Prints p50 and p99 of both and the overhead;
// the last line of standard output is their JSON. Measurements are printed, never asserted.
//
// Threading: runs on the calling thread.

#include "api/args/cli_args.h"

namespace uurwerk::cli {

[[nodiscard]] result<void> bench_reads(const parsed_args& args);

}  // namespace uurwerk::cli

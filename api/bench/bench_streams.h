#pragma once
// `uurwerk bench streams`: what members' live pages cost the server (issue 23 point 1, issue 24's
// figure). One node holds a community of --members members (200); an HTTP server on loopback
// serves it; --streams event streams (1,000) are opened, spread over the members (each with the
// member's own session and key, at most 8 a key) from client addresses 127.30.x.y (250 each, under
// the server's 256 per address). Measured, and printed, never asserted:
// - the process's RSS growth per open stream (server and clients are this one process: the
//   clients' sockets count too, so the figure is an upper bound on the server's);
// - the health probe's p50 and p99 (a new connection each) while the streams are held;
// - the time from submitting an event (a member's post or claim from the workload, one at a
//   time, --events of them, 200 by default) to its `change` on each of its members' open
//   streams, p50, p99 and max.
// With --proposals (issue 24's figure), the node's matcher makes the events timed: every member
// but the founder holds a stream (--streams at least --members - 1); one in ten of them asks, the
// rest each hold one open offer that fits every request (the policy's open_matches_max at its
// top, 100, so that no helper is full). The bench posts --events requests one at a time and runs
// a matching round on demand right after each (match_driver::run_now, signed with the node key
// the founder announced; no interval thread runs, so the bench is the log's only writer). Each
// matchProposed's `change` on its helper's and its requester's streams is timed from the
// proposal's append to the log (its record's appended_at: the log's clock, the machine's, in
// whole ms, so this figure reads up to 1 ms high) and from the start of its round (the steady
// clock); p50, p99 and max of both, and of the rounds, with how many proposals were made and
// how many reached every stream they should. Health probes are left out in this mode.
// The last line of standard output is the JSON of the figures.
//
// Threading: runs on the calling thread, with one thread reading every stream.

#include "api/args/cli_args.h"

namespace uurwerk::cli {

[[nodiscard]] result<void> bench_streams(const parsed_args& args);

}  // namespace uurwerk::cli

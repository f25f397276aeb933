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
// The last line of standard output is the JSON of the figures.
//
// Threading: runs on the calling thread, with one thread reading every stream.

#include "api/args/cli_args.h"

namespace uurwerk::cli {

[[nodiscard]] result<void> bench_streams(const parsed_args& args);

}  // namespace uurwerk::cli

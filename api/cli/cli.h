#pragma once
// The `uurwerk` command-line program: serve, keygen, the commands that sign and submit the
// everyday events, balance and history, and bench. Every command answers --help; every error
// is one line on stderr that says what went wrong and what to do, with exit code 1 (2 for a
// usage error: an unknown command or option, a missing or malformed argument).

namespace uurwerk::cli {

int run(int argc, char** argv);

}  // namespace uurwerk::cli

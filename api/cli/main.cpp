// The `uurwerk` program: see api/cli/cli.h. main() only hands over to the command-line layer, which
// wires the adapters (log, store, clock, sockets) together.
#include "api/cli/cli.h"

int main(int argc, char** argv) {
    return uurwerk::cli::run(argc, argv);
}

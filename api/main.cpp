// The `uurwerk` program: see api/cli.h. main() only hands over to the command-line layer, which
// wires the adapters (log, store, clock, sockets) together.
#include "api/cli.h"

int main(int argc, char** argv) {
    return uurwerk::cli::run(argc, argv);
}

// The `uurwerk` program: see api/cli/cli.h. main() only sets how the process's memory is kept and
// hands over to the command-line layer, which wires the adapters (log, store, clock, sockets)
// together.
#include <malloc.h>

#include "api/cli/cli.h"

int main(int argc, char** argv) {
    // glibc's defaults hand freed memory back to the kernel early: a block of 128 KiB or more
    // (RocksDB's memtable arena blocks, a group's write batches) is mapped for itself and
    // unmapped when freed, and free memory at the top of a heap beyond 128 KiB is trimmed. Each
    // later use of such memory faults its pages in again, zeroed, which on a virtual machine
    // cost the ingest a few microseconds an event (api/bench/benchmarks.md, 2026-12-07 16:00).
    // Blocks up to 32 MiB (glibc's own largest threshold) now come from the heaps, and up to
    // 512 MiB freed at a heap's top stays with the process for the next use.
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 512 << 20);
    return uurwerk::cli::run(argc, argv);
}

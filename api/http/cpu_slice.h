#pragma once
// A thread's CPU time slice, as Linux's EEVDF scheduler (6.6 and later) lets a thread choose it
// (`sched_setattr` with a `sched_runtime` for SCHED_OTHER, 6.12 and later; no privilege needed).
// A thread with a short slice gets an earlier deadline, so when it wakes it takes a core from
// a thread with the default slice (about 1.5 ms on two cores) at once instead of waiting for that
// slice to end. The HTTP server asks for a short slice while it answers a read: a reader then
// does not wait behind the signature checks of submissions, which run with the default slice.
// Older kernels accept and ignore the request, and one that refuses leaves the default slice:
// nothing depends on it but latency.
//
// Threading: acts on the calling thread only; remembers per thread what it last asked for, so
// asking again for the same slice costs no system call.

namespace uurwerk {

enum class cpu_slice {
    standard,     // the kernel's default
    short_0_1ms,  // 0.1 ms: the shortest the kernel grants
};

// Asks for `s` on the calling thread; false if the kernel refused (the slice is then unchanged).
bool use_cpu_slice(cpu_slice s);

}  // namespace uurwerk

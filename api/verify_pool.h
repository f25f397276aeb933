#pragma once
// Signature verification for the ingest path, on a pool of threads of lower CPU priority.
//
// Why: verifying an Ed25519 signature is most of an event's CPU (120 to 190 us here) and it is
// throughput work; reading the state for an API answer and folding the log are latency work.
// On a busy machine, with verification running on every submitting thread at the same priority
// as everything else, a read or the fold could wait several milliseconds for a core
// (`uurwerk bench match` measured it: candidates at p99 6 to 7 ms while ingesting at half rate,
// 0.9 ms idle). Here verification runs on one thread per core at `niceness` above the process
// (nice +5 by default: such a thread weighs about a third of a normal one), so a woken reader or
// the fold takes the core from it at once, and the pool bounds the verifications running at
// once to the cores, instead of one per submitting thread. Raising a thread's nice value needs
// no privilege; if the system refuses it, the pool runs at normal priority.
//
// Threading: verify() from any number of threads; each call blocks until its envelope is
// checked. The queue holds at most one job per blocked caller. The destructor finishes the
// queued jobs and joins the threads; no verify() may be running or start then.

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "ledger/crypto.h"

namespace uurwerk {

class verify_pool {
public:
    // `threads` 0 = one per core.
    verify_pool(key_cache& keys, std::size_t threads, int niceness);
    ~verify_pool();

    // True when `e.sig` is `e.signer`'s signature over the domain tag and `e.body`.
    [[nodiscard]] bool verify(const envelope& e);

    verify_pool(const verify_pool&) = delete;
    verify_pool& operator=(const verify_pool&) = delete;

private:
    struct job;
    void run(int niceness);

    key_cache& keys_;
    std::mutex mutex_;
    std::condition_variable work_;
    std::deque<job*> queue_;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace uurwerk

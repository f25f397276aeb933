#pragma once
// The node's matcher driver: runs the matcher (matching/matcher.h) on each community where this
// node's key is announced, at an interval and on demand, signs each proposal with the node key
// and submits it through the node's ingest path like any event. A community accepts proposals
// from a node only once a coordinator has announced the node's key (`uurwerk announce-node`),
// as for checkpoints; the key is the checkpointer's, borrowed under its lock.
//
// A round reads the community's state under the projector's shared lock; what it proposes is a
// pure function of that state (ids and sequence numbers derived), so a second node, or this one
// again, proposing the same round makes duplicates only. Proposals already in the log are not
// submitted again. The interval loop skips a community whose state has not changed since its
// last round there (nothing new to propose).
//
// Ownership and threading: borrows the node and the checkpointer (both must outlive it) and owns
// its interval thread (start/stop; the destructor stops it). run_now() may be called from any
// thread; rounds are serialized with each other and with checkpoints.

#include <map>

#include "api/node/checkpointer.h"
#include "api/node/interval_thread.h"
#include "matching/matcher.h"

namespace uurwerk {

struct match_driver_options {
    std::chrono::milliseconds interval{10'000};  // 0 = on demand only
};

struct match_round_outcome {
    std::uint64_t basis = 0;          // the community's event count the round read
    std::vector<proposal> proposals;  // what the matcher proposed
    std::size_t submitted = 0;        // accepted by the ledger now
    std::size_t duplicates = 0;       // already in the log (another node, an earlier round)
    std::size_t rejected = 0;         // refused by the ledger (the state moved on meanwhile)
};

class match_driver {
public:
    match_driver(node& n, checkpointer& signer, match_driver_options options);
    ~match_driver();
    void start();
    void stop();

    // One round in community `c` now, answered once every proposal is applied.
    // Errors: "unknown_community", "node_key_not_announced", and the node's submit errors.
    [[nodiscard]] result<match_round_outcome> run_now(community_id c);

    match_driver(const match_driver&) = delete;
    match_driver& operator=(const match_driver&) = delete;

private:
    void run();  // one tick of the interval thread
    node& node_;
    checkpointer& signer_;
    std::map<community_id, std::uint64_t> last_basis_;  // by the interval thread only
    interval_thread ticker_;  // last: stopped before the members it uses go
};

}  // namespace uurwerk

#pragma once
// The node's checkpointer: signs a checkpoint (community, tree size, root, time) of each
// community's Merkle tree with the node's own Ed25519 key, at an interval and on demand, and
// submits it to the log like any event. A community accepts checkpoints from a node only once a
// coordinator has announced the node's key there (`uurwerk announce-node`).
//
// A checkpoint is signed only when the tree has grown since this node's last one by more than
// that checkpoint itself (else nothing new would be attested and checkpoints would only count
// themselves). Its id is derived from (community, size, node key): a retry is a duplicate.
//
// Ownership and threading: borrows the node (which must outlive it) and owns the node key and
// its interval thread (start/stop; the destructor stops it). sign_now() may be called from any
// thread; calls are serialized (one key, one sequence).

#include <mutex>

#include "api/node/interval_thread.h"
#include "api/node/node.h"

namespace uurwerk {

struct checkpointer_options {
    std::chrono::milliseconds interval{60'000};  // 0 = on demand only
    log_clock clock;                             // the checkpoint's timestamp
};

struct checkpoint_outcome {
    checkpoint_record record;
    bool fresh = false;  // false: nothing new to attest, this is the latest checkpoint as it was
};

class checkpointer {
public:
    checkpointer(node& n, signing_key node_key, checkpointer_options options);
    ~checkpointer();
    void start();
    void stop();

    // Signs and submits a checkpoint of `c`'s tree now, and answers once it is applied.
    // Errors: "unknown_community", "node_key_not_announced", "checkpoint_rejected" (says the
    // reason), and the node's submit errors.
    [[nodiscard]] result<checkpoint_outcome> sign_now(community_id c);

    const public_key& node_key() const { return key_.public_bytes(); }

    // Runs `fn(key)` with the node key, serialized with sign_now(): whoever else signs with the
    // node key (the matcher, api/node/match_driver.h) goes through here, so that no two signers
    // read the key's sequence number at once.
    template <typename Fn>
    auto with_node_key(Fn&& fn) {
        std::lock_guard serial(sign_mutex_);
        return fn(static_cast<const signing_key&>(key_));
    }

    checkpointer(const checkpointer&) = delete;
    checkpointer& operator=(const checkpointer&) = delete;

private:
    void run();  // one tick of the interval thread
    node& node_;
    signing_key key_;
    checkpointer_options options_;
    std::mutex sign_mutex_;
    interval_thread ticker_;  // last: stopped before the members it uses go
};

}  // namespace uurwerk

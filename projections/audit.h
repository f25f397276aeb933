#pragma once
// The audit projection: per community, an RFC 6962 Merkle tree over its events in log order,
// beside it the verdict tree (leaf i commits to event leaf i's verdict, log offset and log time:
// ledger/core/audit.h, verdict_leaf_hash), and the checkpoints (signed heads of both) the log
// holds.
//
// A record is a leaf of community C's tree when its envelope decodes, its signature verifies and
// C exists once the record is folded (so the founding event is leaf 0). Every such record is a
// leaf whatever its verdict: the tree is the community's log, and an auditor replays the rules
// over it to recompute every verdict. Leaf hash = SHA-256(0x00 || the stored envelope bytes).
//
// Store layout (column `audit`, numbers big-endian):
//   'N' community                      -> tree size (be64)
//   'T' community level(1) tile(8)     -> the kept nodes of that tile, 32 bytes each, appended
//                                         (levels 0, 4, 8, ...: see merkle_tile_height)
//   'V' community level(1) tile(8)     -> the same for the verdict tree (same size as 'N')
//   'O' community chunk(8)             -> per leaf of leaves [chunk*256, chunk*256+256): its log
//                                         offset (be64) and the verdict the node gave (be16),
//                                         appended
//   'K' community size(8) leaf(8)      -> an accepted checkpoint (checkpoint_record)
//   'L' community                      -> the latest accepted checkpoint
// An append costs the frontiers' amortized one node hash each, and per batch one store append
// per tile and leaf chunk it touched: no entry per leaf. Both trees change in the same batch.
//
// Threading: audit_trees belongs to the projector's fold thread, which changes it under the
// projector's state lock; readers of its heads take that lock shared. The read_* functions read
// what the store has committed and may be called from any thread.

#include <map>
#include <memory>
#include <optional>

#include "ledger/core/merkle.h"
#include "ledger/core/rules.h"
#include "projections/store.h"

namespace uurwerk {

inline constexpr std::uint64_t audit_leaf_chunk = 256;

// A checkpoint the log holds and the tree agrees with.
struct checkpoint_record {
    std::uint64_t tree_size = 0;
    digest root;
    digest verdict_root;     // the verdict tree's at tree_size
    time_ms signed_at;       // the checkpoint's own timestamp
    offset at;               // the checkpoint event's offset in the log
    std::uint64_t leaf = 0;  // the checkpoint event's own leaf index (>= tree_size)
    event_id id;
    public_key signer;  // the node key that signed it
    bool operator==(const checkpoint_record&) const = default;
};

// One leaf: where its event is in the log and the verdict the node gave it.
struct leaf_record {
    std::uint64_t index = 0;
    offset at;
    reject_reason verdict = reject_reason::none;
};

class audit_trees final : public audit_view {
public:
    // Loads every community's tree size, frontiers and latest checkpoint. Error "old_store":
    // the store was written before verdict trees (rebuild it from the log).
    [[nodiscard]] static result<std::unique_ptr<audit_trees>> load(const store& db);

    // Adds the record at `at`, logged at `appended_at`, as the next leaf of `c`'s tree, and its
    // verdict as the next leaf of the verdict tree.
    void add_leaf(community_id c, offset at, time_ms appended_at, reject_reason verdict,
                  const digest& leaf);
    // Records an accepted checkpoint; call after add_leaf for its own record.
    void add_checkpoint(community_id c, const checkpoint_record& r);
    // Adds to `b` what was added since the last call, and starts afresh.
    void write_batch(store::batch& b);

    // The root of `c`'s tree at `size`, from the frontier (the current size) or from the kept
    // nodes (what the store has committed plus this batch: the projector commits every earlier
    // batch before it folds one that holds a checkpoint).
    [[nodiscard]] std::optional<digest> root_at(community_id c, std::uint64_t size) const override;
    [[nodiscard]] std::optional<digest> verdict_root_at(community_id c,
                                                        std::uint64_t size) const override;

    struct head {
        std::uint64_t size = 0;
        digest root;
        digest verdict_root;
    };
    // The number of leaves of `c`'s folded tree (0 for an unknown community).
    [[nodiscard]] std::uint64_t size(community_id c) const;
    // The folded tree of `c` (nothing for an unknown community).
    [[nodiscard]] std::optional<head> tree_head(community_id c) const;
    [[nodiscard]] std::optional<checkpoint_record> latest_checkpoint(community_id c) const;

private:
    explicit audit_trees(const store& db) : db_(db) {}
    struct tree {
        merkle_frontier frontier;
        merkle_frontier verdicts;
        std::optional<checkpoint_record> latest;
    };
    std::string tile(char which, community_id c, const merkle_tile_id& id) const;
    std::optional<digest> root_of(char which, community_id c, std::uint64_t size) const;
    void append(char which, community_id c, merkle_frontier& f, const digest& leaf);

    const store& db_;
    std::map<community_id, tree> trees_;
    // Added since the last write_batch, by tree ('T' events, 'V' verdicts), community and tile.
    std::map<std::tuple<char, community_id, merkle_tile_id>, std::string> tile_appends_;
    std::map<std::pair<community_id, std::uint64_t>, std::string> leaf_appends_;
    std::vector<std::pair<community_id, checkpoint_record>> checkpoints_;
    std::vector<merkle_node> done_;  // reused by every append
};

// ---------------------------------------------------------------------------------------------
// The read side: what the store has committed. A size beyond the committed tree is the error
// "beyond_tree".

[[nodiscard]] result<std::uint64_t> read_tree_size(const store& db, community_id c);
[[nodiscard]] result<std::vector<leaf_record>> read_leaves(const store& db, community_id c,
                                                           std::uint64_t from, std::size_t limit);
// The leaf of the record at log offset `at` in `c`'s tree, if it is one.
[[nodiscard]] result<std::optional<leaf_record>> find_leaf(const store& db, community_id c,
                                                           offset at);
[[nodiscard]] result<std::optional<checkpoint_record>> read_latest_checkpoint(const store& db,
                                                                              community_id c);
// Every accepted checkpoint of `c`, in log order.
[[nodiscard]] result<std::vector<checkpoint_record>> read_checkpoints(const store& db,
                                                                      community_id c);
// At most `limit` accepted checkpoints of `c` of tree size `from_size` or more, in the order of
// their tree size (then leaf): a page, read without loading the others (a node signs one a
// minute, so a community holds hundreds of thousands).
[[nodiscard]] result<std::vector<checkpoint_record>> read_checkpoints_from(const store& db,
                                                                           community_id c,
                                                                           std::uint64_t from_size,
                                                                           std::size_t limit);
[[nodiscard]] result<digest> read_root(const store& db, community_id c, std::uint64_t size);
[[nodiscard]] result<std::vector<digest>> read_inclusion_proof(const store& db, community_id c,
                                                               std::uint64_t index,
                                                               std::uint64_t size);
// The same in the verdict tree.
[[nodiscard]] result<digest> read_verdict_root(const store& db, community_id c, std::uint64_t size);
[[nodiscard]] result<std::vector<digest>> read_verdict_inclusion_proof(const store& db,
                                                                       community_id c,
                                                                       std::uint64_t index,
                                                                       std::uint64_t size);
// Needs 0 < first <= second (an assertion: the caller checks what it is given).
[[nodiscard]] result<std::vector<digest>> read_consistency_proof(const store& db, community_id c,
                                                                 std::uint64_t first,
                                                                 std::uint64_t second);

}  // namespace uurwerk

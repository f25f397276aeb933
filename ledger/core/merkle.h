#pragma once
// RFC 6962 (Certificate Transparency) Merkle tree maths, as RFC 9162 states it: pure functions
// over hashes, no I/O. Leaf hash = SHA-256(0x00 || entry); interior node = SHA-256(0x01 || left
// || right); the tree over n leaves splits at the largest power of two below n.
//
// A tree is described to the proof functions by a node reader: the hash of the perfect subtree
// of 2^level leaves starting at leaf index * 2^level. merkle_frontier produces exactly those
// hashes as leaves are appended, so a store that keeps them can answer every proof.
//
// Threading: functions are pure; a merkle_frontier is a value owned by one thread.

#include <functional>
#include <span>
#include <vector>

#include "ledger/core/event.h"

namespace uurwerk {

[[nodiscard]] digest merkle_leaf_hash(byte_view entry);
[[nodiscard]] digest merkle_node_hash(const digest& left, const digest& right);
// The root of the empty tree: SHA-256 of the empty string.
[[nodiscard]] digest merkle_empty_root();

// The root over `leaves` (leaf hashes), by the definition. O(n); a reference for tests.
[[nodiscard]] digest merkle_root(std::span<const digest> leaves);

// The hash of the perfect subtree of 2^level leaves starting at leaf `index` << level.
using merkle_node_reader = std::function<digest(std::uint32_t level, std::uint64_t index)>;

// One perfect subtree completed by an append: what a store keeps to answer proofs later.
struct merkle_node {
    std::uint32_t level = 0;
    std::uint64_t index = 0;
    digest hash;
};

// The compact form of a growing tree: the roots of the perfect subtrees that make it up, largest
// first (one per set bit of size()). Appending costs O(1) amortized and reports the perfect
// subtrees it completed; the root is O(log n).
class merkle_frontier {
public:
    // Appends a leaf hash; returns the completed subtrees, the leaf itself first.
    std::vector<merkle_node> append(const digest& leaf);
    // The same into `done` (cleared first), so that a caller appending many leaves reuses it.
    void append(const digest& leaf, std::vector<merkle_node>& done);
    [[nodiscard]] std::uint64_t size() const { return size_; }
    [[nodiscard]] digest root() const;
    [[nodiscard]] const std::vector<digest>& subtrees() const { return subtrees_; }
    // Rebuilds a frontier of `size` leaves from the stored perfect subtrees.
    [[nodiscard]] static merkle_frontier restore(std::uint64_t size,
                                                 const merkle_node_reader& node);

private:
    std::uint64_t size_ = 0;
    std::vector<digest> subtrees_;
};

// Storing a tree in tiles (as Go's checksum database and Trillian's tlog do): only the nodes
// at levels 0, H, 2H, ... (H = merkle_tile_height) are kept, in tiles of 2^H consecutive nodes
// of one level, each tile growing by appends as the tree grows. A node at a level in between is
// hashed again from at most 2^(H-1) kept nodes of one tile. With H = 4 a store keeps 16/15 of a
// hash per leaf, an append touches one or two tiles, and a proof over a tree of n leaves reads
// log2(n) tiles and hashes about 11 nodes per tile level.
inline constexpr std::uint32_t merkle_tile_height = 4;
inline constexpr std::uint64_t merkle_tile_width = std::uint64_t{1} << merkle_tile_height;

struct merkle_tile_id {
    std::uint32_t level = 0;  // a multiple of merkle_tile_height
    std::uint64_t index = 0;  // holds the nodes [index * width, (index + 1) * width) of level
    auto operator<=>(const merkle_tile_id&) const = default;
};
// Whether a completed node is kept, and in which tile.
[[nodiscard]] inline bool merkle_node_is_kept(const merkle_node& n) {
    return n.level % merkle_tile_height == 0;
}
[[nodiscard]] inline merkle_tile_id merkle_tile_of(const merkle_node& n) {
    return {n.level, n.index >> merkle_tile_height};
}
// The hashes a tile holds so far, 32 bytes each in index order (a tile may be partial).
using merkle_tile_reader = std::function<std::string(const merkle_tile_id&)>;
// A node reader over tiles. Asking for a node whose hashes the tiles do not hold is a bug
// (an assertion): callers ask only for nodes of a tree size the tiles cover.
[[nodiscard]] merkle_node_reader merkle_tiled_reader(merkle_tile_reader tiles);

// The root of the first `size` leaves of a tree, from its stored nodes. O(log n) reads.
[[nodiscard]] digest merkle_root_at(std::uint64_t size, const merkle_node_reader& node);

// The hash of leaves [start, start + count) as RFC 6962 defines it for a subtree, where
// `start` is a multiple of the largest power of two not above `count` (every subtree a proof
// names is such a range).
[[nodiscard]] digest merkle_subtree_hash(std::uint64_t start, std::uint64_t count,
                                         const merkle_node_reader& node);

// The audit path of leaf `index` in the tree of `size` leaves, from the leaf upwards.
// Requires index < size.
[[nodiscard]] std::vector<digest> merkle_inclusion_proof(std::uint64_t index, std::uint64_t size,
                                                         const merkle_node_reader& node);
// The proof that the tree of `first` leaves is a prefix of the tree of `second` leaves.
// Requires 0 < first <= second.
[[nodiscard]] std::vector<digest> merkle_consistency_proof(std::uint64_t first,
                                                           std::uint64_t second,
                                                           const merkle_node_reader& node);

// RFC 9162 section 2.1.3.2: does `proof` place `leaf` at `index` in the tree with `root`?
[[nodiscard]] bool merkle_verify_inclusion(const digest& leaf, std::uint64_t index,
                                           std::uint64_t size, std::span<const digest> proof,
                                           const digest& root);
// RFC 9162 section 2.1.4.2: is the tree (first, first_root) a prefix of (second, second_root)?
[[nodiscard]] bool merkle_verify_consistency(std::uint64_t first, std::uint64_t second,
                                             const digest& first_root, const digest& second_root,
                                             std::span<const digest> proof);

}  // namespace uurwerk

#include "ledger/core/merkle.h"

#include <bit>
#include <cstring>

#include "ledger/core/crypto.h"

namespace uurwerk {
namespace {

// The largest power of two strictly below n (n >= 2): where RFC 6962 splits a tree of n.
std::uint64_t split_point(std::uint64_t n) {
    UURWERK_ASSERT(n >= 2, n);
    return std::bit_floor(n - 1);
}

void path(std::uint64_t m, std::uint64_t start, std::uint64_t n, const merkle_node_reader& node,
          std::vector<digest>& out) {
    if (n == 1) return;
    const std::uint64_t k = split_point(n);
    if (m < k) {
        path(m, start, k, node, out);
        out.push_back(merkle_subtree_hash(start + k, n - k, node));
    } else {
        path(m - k, start + k, n - k, node, out);
        out.push_back(merkle_subtree_hash(start, k, node));
    }
}

void subproof(std::uint64_t m, std::uint64_t start, std::uint64_t n, bool whole,
              const merkle_node_reader& node, std::vector<digest>& out) {
    if (m == n) {
        if (!whole) out.push_back(merkle_subtree_hash(start, n, node));
        return;
    }
    const std::uint64_t k = split_point(n);
    if (m <= k) {
        subproof(m, start, k, whole, node, out);
        out.push_back(merkle_subtree_hash(start + k, n - k, node));
    } else {
        subproof(m - k, start + k, n - k, false, node, out);
        out.push_back(merkle_subtree_hash(start, k, node));
    }
}

}  // namespace

digest merkle_leaf_hash(byte_view entry) {
    const std::uint8_t tag = 0x00;
    return sha256({byte_view(&tag, 1), entry});
}

digest merkle_node_hash(const digest& left, const digest& right) {
    const std::uint8_t tag = 0x01;
    return sha256({byte_view(&tag, 1), left.b, right.b});
}

digest merkle_empty_root() {
    return sha256({byte_view()});
}

digest merkle_root(std::span<const digest> leaves) {
    if (leaves.empty()) return merkle_empty_root();
    if (leaves.size() == 1) return leaves[0];
    const std::uint64_t k = split_point(leaves.size());
    return merkle_node_hash(merkle_root(leaves.first(k)), merkle_root(leaves.subspan(k)));
}

std::vector<merkle_node> merkle_frontier::append(const digest& leaf) {
    std::vector<merkle_node> done;
    append(leaf, done);
    return done;
}

void merkle_frontier::append(const digest& leaf, std::vector<merkle_node>& done) {
    done.clear();
    done.push_back({0, size_, leaf});
    digest h = leaf;
    std::uint32_t level = 0;
    // Each set low bit of size_ is a perfect subtree of that level waiting for a right sibling.
    while ((size_ >> level) & 1u) {
        UURWERK_ASSERT(!subtrees_.empty(), size_, level);
        h = merkle_node_hash(subtrees_.back(), h);
        subtrees_.pop_back();
        ++level;
        done.push_back({level, size_ >> level, h});
    }
    subtrees_.push_back(h);
    ++size_;
    UURWERK_ASSERT(subtrees_.size() == static_cast<std::size_t>(std::popcount(size_)), size_);
}

digest merkle_frontier::root() const {
    if (subtrees_.empty()) return merkle_empty_root();
    digest r = subtrees_.back();
    for (auto it = subtrees_.rbegin() + 1; it != subtrees_.rend(); ++it)
        r = merkle_node_hash(*it, r);
    return r;
}

merkle_frontier merkle_frontier::restore(std::uint64_t size, const merkle_node_reader& node) {
    merkle_frontier f;
    f.size_ = size;
    std::uint64_t start = 0;
    for (int level = 63; level >= 0; --level) {
        if (!((size >> level) & 1u)) continue;
        f.subtrees_.push_back(node(static_cast<std::uint32_t>(level), start >> level));
        start += std::uint64_t{1} << level;
    }
    return f;
}

merkle_node_reader merkle_tiled_reader(merkle_tile_reader tiles) {
    return [tiles = std::move(tiles)](std::uint32_t level, std::uint64_t index) {
        const std::uint32_t depth = level % merkle_tile_height;  // levels above the kept one
        const std::uint32_t kept = level - depth;
        const std::uint64_t first = index << depth;  // first kept node under this one
        const std::uint64_t count = std::uint64_t{1} << depth;
        const std::string t = tiles({kept, first >> merkle_tile_height});
        const std::uint64_t at = first & (merkle_tile_width - 1);
        UURWERK_ASSERT(t.size() % digest_bytes == 0 && t.size() / digest_bytes >= at + count, level,
                       index, t.size());
        std::vector<digest> row(count);
        for (std::uint64_t i = 0; i < count; ++i)
            std::memcpy(row[i].b.data(), t.data() + (at + i) * digest_bytes, digest_bytes);
        for (std::uint64_t n = count; n > 1; n /= 2)
            for (std::uint64_t i = 0; i < n / 2; ++i)
                row[i] = merkle_node_hash(row[2 * i], row[2 * i + 1]);
        return row[0];
    };
}

digest merkle_root_at(std::uint64_t size, const merkle_node_reader& node) {
    if (size == 0) return merkle_empty_root();
    return merkle_subtree_hash(0, size, node);
}

digest merkle_subtree_hash(std::uint64_t start, std::uint64_t count,
                           const merkle_node_reader& node) {
    UURWERK_ASSERT(count >= 1, start, count);
    if (std::has_single_bit(count)) {
        UURWERK_ASSERT(start % count == 0, start, count);  // a perfect, aligned subtree
        return node(static_cast<std::uint32_t>(std::countr_zero(count)), start / count);
    }
    const std::uint64_t k = split_point(count);
    return merkle_node_hash(merkle_subtree_hash(start, k, node),
                            merkle_subtree_hash(start + k, count - k, node));
}

std::vector<digest> merkle_inclusion_proof(std::uint64_t index, std::uint64_t size,
                                           const merkle_node_reader& node) {
    UURWERK_ASSERT(index < size, index, size);
    std::vector<digest> out;
    path(index, 0, size, node, out);
    return out;
}

std::vector<digest> merkle_consistency_proof(std::uint64_t first, std::uint64_t second,
                                             const merkle_node_reader& node) {
    UURWERK_ASSERT(first >= 1 && first <= second, first, second);
    std::vector<digest> out;
    subproof(first, 0, second, true, node, out);
    return out;
}

bool merkle_verify_inclusion(const digest& leaf, std::uint64_t index, std::uint64_t size,
                             std::span<const digest> proof, const digest& root) {
    if (index >= size) return false;
    std::uint64_t fn = index, sn = size - 1;
    digest r = leaf;
    for (const auto& p : proof) {
        if (sn == 0) return false;
        if ((fn & 1u) || fn == sn) {
            r = merkle_node_hash(p, r);
            if (!(fn & 1u))
                while (!(fn & 1u) && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
        } else {
            r = merkle_node_hash(r, p);
        }
        fn >>= 1;
        sn >>= 1;
    }
    return sn == 0 && r == root;
}

bool merkle_verify_consistency(std::uint64_t first, std::uint64_t second, const digest& first_root,
                               const digest& second_root, std::span<const digest> proof) {
    if (first > second || first == 0) return false;
    if (first == second) return proof.empty() && first_root == second_root;
    if (proof.empty()) return false;
    std::vector<digest> path(proof.begin(), proof.end());
    if (std::has_single_bit(first)) path.insert(path.begin(), first_root);
    std::uint64_t fn = first - 1, sn = second - 1;
    while (fn & 1u) {
        fn >>= 1;
        sn >>= 1;
    }
    digest fr = path[0], sr = path[0];
    for (std::size_t i = 1; i < path.size(); ++i) {
        const digest& c = path[i];
        if (sn == 0) return false;
        if ((fn & 1u) || fn == sn) {
            fr = merkle_node_hash(c, fr);
            sr = merkle_node_hash(c, sr);
            if (!(fn & 1u))
                while (!(fn & 1u) && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
        } else {
            sr = merkle_node_hash(sr, c);
        }
        fn >>= 1;
        sn >>= 1;
    }
    return fr == first_root && sr == second_root && sn == 0;
}

}  // namespace uurwerk

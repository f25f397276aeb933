// RFC 6962 Merkle maths against the published reference vectors (shared/testdata), and
// exhaustively for small trees: roots, the append-only frontier, inclusion and consistency
// proofs, and their refusal when anything is changed.
#include <boost/test/unit_test.hpp>

#include <bit>
#include <fstream>
#include <map>
#include <sstream>

#include "ledger/core/merkle.h"

using namespace uurwerk;

namespace {

std::string vectors_text() {
    std::ifstream in(UURWERK_TESTDATA_DIR "/rfc6962-vectors.json");
    BOOST_REQUIRE_MESSAGE(in, "cannot open " UURWERK_TESTDATA_DIR "/rfc6962-vectors.json");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// The quoted strings of the JSON array that starts at or after `from` in `text`.
std::vector<std::string> string_array(const std::string& text, std::size_t from) {
    auto open = text.find('[', from), close = text.find(']', open);
    BOOST_REQUIRE(open != std::string::npos && close != std::string::npos);
    std::vector<std::string> out;
    for (auto q = text.find('"', open); q != std::string::npos && q < close;) {
        auto end = text.find('"', q + 1);
        out.push_back(text.substr(q + 1, end - q - 1));
        q = text.find('"', end + 1);
    }
    return out;
}

std::uint64_t number_after(const std::string& text, const std::string& key, std::size_t from) {
    auto at = text.find("\"" + key + "\"", from);
    BOOST_REQUIRE(at != std::string::npos);
    return std::stoull(text.substr(text.find(':', at) + 1));
}

digest digest_hex(const std::string& hex) {
    auto b = fixed_from_hex<32>(hex, "digest");
    BOOST_REQUIRE(b.ok());
    return digest{*b};
}

std::vector<digest> digests(const std::vector<std::string>& hexes) {
    std::vector<digest> out;
    for (const auto& h : hexes) out.push_back(digest_hex(h));
    return out;
}

// A tree kept as the frontier keeps it: every completed perfect subtree, by (level, index).
struct stored_tree {
    merkle_frontier frontier;
    std::map<std::pair<std::uint32_t, std::uint64_t>, digest> nodes;
    std::vector<digest> leaves;

    void append(const digest& leaf) {
        leaves.push_back(leaf);
        for (const auto& n : frontier.append(leaf)) nodes[{n.level, n.index}] = n.hash;
    }
    merkle_node_reader reader() const {
        return [this](std::uint32_t level, std::uint64_t index) {
            auto it = nodes.find({level, index});
            UURWERK_ASSERT(it != nodes.end(), level, index);
            return it->second;
        };
    }
};

stored_tree tree_of(std::size_t n) {
    stored_tree t;
    for (std::size_t i = 0; i < n; ++i) {
        std::string entry = "entry " + std::to_string(i);
        t.append(merkle_leaf_hash(
            byte_view(reinterpret_cast<const std::uint8_t*>(entry.data()), entry.size())));
    }
    return t;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(merkle)

BOOST_AUTO_TEST_CASE(roots_agree_with_the_rfc6962_vectors_for_every_size) {
    const auto text = vectors_text();
    const auto entries = string_array(text, text.find("\"entries_hex\""));
    const auto roots = string_array(text, text.find("\"roots_hex\""));
    BOOST_REQUIRE_EQUAL(roots.size(), entries.size() + 1);
    stored_tree t;
    BOOST_CHECK(t.frontier.root() == digest_hex(roots[0]));
    BOOST_CHECK(merkle_root({}) == digest_hex(roots[0]));
    for (std::size_t n = 1; n <= entries.size(); ++n) {
        auto entry = from_hex(entries[n - 1]);
        BOOST_REQUIRE(entry.ok());
        t.append(merkle_leaf_hash(*entry));
        BOOST_CHECK_MESSAGE(t.frontier.root() == digest_hex(roots[n]), "frontier, size " << n);
        BOOST_CHECK_MESSAGE(merkle_root(t.leaves) == digest_hex(roots[n]),
                            "definition, size " << n);
    }
}

BOOST_AUTO_TEST_CASE(inclusion_and_consistency_proofs_agree_with_the_rfc6962_vectors) {
    const auto text = vectors_text();
    const auto entries = string_array(text, text.find("\"entries_hex\""));
    stored_tree t;
    for (const auto& e : entries) t.append(merkle_leaf_hash(from_hex(e).value()));
    const digest root = t.frontier.root();

    std::size_t checked = 0;
    for (auto at = text.find("\"index\""); at != std::string::npos;
         at = text.find("\"index\"", at + 1)) {
        const auto index = number_after(text, "index", at);
        const auto size = number_after(text, "size", at);
        const auto proof = digests(string_array(text, text.find("\"proof_hex\"", at)));
        BOOST_REQUIRE_EQUAL(size, t.leaves.size());
        auto ours = merkle_inclusion_proof(index, size, t.reader());
        BOOST_CHECK(ours == proof);
        BOOST_CHECK(merkle_verify_inclusion(t.leaves[index], index, size, proof, root));
        ++checked;
    }
    for (auto at = text.find("\"first\""); at != std::string::npos;
         at = text.find("\"first\"", at + 1)) {
        const auto first = number_after(text, "first", at);
        const auto second = number_after(text, "second", at);
        const auto proof = digests(string_array(text, text.find("\"proof_hex\"", at)));
        auto ours = merkle_consistency_proof(first, second, t.reader());
        BOOST_CHECK(ours == proof);
        const auto first_root = merkle_root(std::span(t.leaves).first(first));
        const auto second_root = merkle_root(std::span(t.leaves).first(second));
        BOOST_CHECK(merkle_verify_consistency(first, second, first_root, second_root, proof));
        ++checked;
    }
    BOOST_CHECK_EQUAL(checked, 4u);  // two of each in the file
}

BOOST_AUTO_TEST_CASE(every_leaf_of_every_small_tree_is_proved_and_a_changed_proof_is_refused) {
    const auto t = tree_of(70);
    for (std::uint64_t size = 1; size <= 70; ++size) {
        const auto root = merkle_root(std::span(t.leaves).first(size));
        for (std::uint64_t i = 0; i < size; ++i) {
            auto proof = merkle_inclusion_proof(i, size, t.reader());
            BOOST_REQUIRE(merkle_verify_inclusion(t.leaves[i], i, size, proof, root));
            BOOST_REQUIRE(!merkle_verify_inclusion(t.leaves[(i + 1) % 70], i, size, proof, root) ||
                          size == 1);
            if (size > 1)
                BOOST_REQUIRE(!merkle_verify_inclusion(t.leaves[i], i ^ 1, size, proof, root) ||
                              (i ^ 1) >= size);
            if (!proof.empty()) {
                auto bad = proof;
                bad.back().b[7] ^= 1;
                BOOST_REQUIRE(!merkle_verify_inclusion(t.leaves[i], i, size, bad, root));
                bad = proof;
                bad.pop_back();
                BOOST_REQUIRE(!merkle_verify_inclusion(t.leaves[i], i, size, bad, root));
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(every_prefix_of_every_small_tree_is_consistent_and_a_fork_is_not) {
    const auto t = tree_of(40);
    auto fork = tree_of(40);
    fork.leaves[5].b[0] ^= 1;  // another history from leaf 5 on
    for (std::uint64_t second = 1; second <= 40; ++second) {
        const auto second_root = merkle_root(std::span(t.leaves).first(second));
        for (std::uint64_t first = 1; first <= second; ++first) {
            const auto first_root = merkle_root(std::span(t.leaves).first(first));
            auto proof = merkle_consistency_proof(first, second, t.reader());
            BOOST_REQUIRE(merkle_verify_consistency(first, second, first_root, second_root, proof));
            if (first > 5) {
                const auto forked = merkle_root(std::span(fork.leaves).first(first));
                BOOST_REQUIRE(
                    !merkle_verify_consistency(first, second, forked, second_root, proof));
            }
            if (!proof.empty()) {
                auto bad = proof;
                bad.front().b[3] ^= 1;
                BOOST_REQUIRE(
                    !merkle_verify_consistency(first, second, first_root, second_root, bad));
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(a_frontier_restored_from_stored_subtrees_goes_on_as_the_original) {
    auto t = tree_of(37);
    auto restored = merkle_frontier::restore(t.frontier.size(), t.reader());
    BOOST_CHECK(restored.root() == t.frontier.root());
    const auto extra = merkle_leaf_hash(byte_view());
    restored.append(extra);
    t.append(extra);
    BOOST_CHECK(restored.root() == t.frontier.root());
    BOOST_CHECK(restored.root() == merkle_root(t.leaves));
}

BOOST_AUTO_TEST_CASE(an_append_completes_one_node_per_carried_level) {
    merkle_frontier f;
    for (std::uint64_t i = 0; i < 16; ++i) {
        auto done = f.append(merkle_leaf_hash(byte_view()));
        // Leaf i completes the leaf and one node per trailing one-bit of i.
        BOOST_CHECK_EQUAL(done.size(), 1u + std::countr_one(i));
        BOOST_CHECK_EQUAL(done.back().index << done.back().level,
                          i + 1 - (std::uint64_t{1} << done.back().level));
    }
    BOOST_CHECK_EQUAL(f.subtrees().size(), 1u);  // 16 leaves: one perfect tree
}

BOOST_AUTO_TEST_CASE(tiles_keep_one_level_in_four_and_answer_every_root_and_proof) {
    // Keep only what a store keeps (the nodes of levels 0, 4, 8, ... appended to their tiles)
    // and check that every root and proof over every prefix equals the one from all nodes.
    merkle_frontier f;
    std::map<merkle_tile_id, std::string> tiles;
    std::vector<digest> leaves;
    std::vector<merkle_node> done;
    std::size_t kept = 0;
    for (std::uint64_t i = 0; i < 300; ++i) {
        std::uint8_t b[8];
        for (int k = 0; k < 8; ++k) b[k] = static_cast<std::uint8_t>(i >> (8 * k));
        leaves.push_back(merkle_leaf_hash(byte_view(b, 8)));
        f.append(leaves.back(), done);
        for (const auto& n : done) {
            if (!merkle_node_is_kept(n)) continue;
            auto& t = tiles[merkle_tile_of(n)];
            // Nodes of a level complete in index order: a tile only ever grows at its end.
            BOOST_REQUIRE_EQUAL(t.size() / 32, n.index % merkle_tile_width);
            t.append(reinterpret_cast<const char*>(n.hash.b.data()), 32);
            ++kept;
        }
    }
    BOOST_CHECK_LT(kept, 300u * 17 / 15);
    auto reader = merkle_tiled_reader([&](const merkle_tile_id& id) {
        auto it = tiles.find(id);
        return it == tiles.end() ? std::string() : it->second;
    });
    for (std::uint64_t size = 1; size <= leaves.size(); ++size) {
        const auto root = merkle_root(std::span(leaves).first(size));
        BOOST_REQUIRE(merkle_root_at(size, reader) == root);
        for (std::uint64_t i = 0; i < size; i += 7)
            BOOST_REQUIRE(merkle_verify_inclusion(leaves[i], i, size,
                                                  merkle_inclusion_proof(i, size, reader), root));
        for (std::uint64_t first = 1; first <= size; first += 11)
            BOOST_REQUIRE(
                merkle_verify_consistency(first, size, merkle_root(std::span(leaves).first(first)),
                                          root, merkle_consistency_proof(first, size, reader)));
    }
    auto restored = merkle_frontier::restore(f.size(), reader);
    BOOST_CHECK(restored.root() == f.root());
}

BOOST_AUTO_TEST_SUITE_END()

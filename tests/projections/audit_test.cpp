// The audit projection over a real LocalLog and RocksDB store: each community's Merkle tree is
// the RFC 6962 tree over its records in log order; checkpoints are accepted only for the tree's
// true root at their size; proofs read from the store verify; a restart and a rebuild reach the
// same trees.
#include <boost/test/unit_test.hpp>

#include <algorithm>

#include <filesystem>

#include "api/bench/workload.h"
#include "ledger/core/audit.h"
#include "ledger/log/local_log.h"
#include "projections/projector.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_keys.h"
#include "tests/support/test_log.h"

using namespace uurwerk;
using uurwerk::testing::temp_dir;
namespace fs = std::filesystem;

namespace {

constexpr community_id town{5};

std::unique_ptr<local_log> open_log(const fs::path& dir) {
    return uurwerk::testing::open_test_log(dir);
}

signing_key key_from(std::uint8_t fill) {
    return uurwerk::testing::key_filled_with(fill);
}

// The workload's founder (its member 1).
signing_key founder_key(std::uint64_t seed) {
    return workload_member_key(seed, 0);
}

struct fixture {
    temp_dir dir;
    std::unique_ptr<local_log> log = open_log(dir.path / "log");
    key_cache keys;
    std::unique_ptr<store> db;
    std::unique_ptr<projector> proj;
    std::vector<digest> leaves;  // what the tree must hold: every record of the community
    signing_key node = key_from(0x4e);
    std::uint64_t node_seq = 0;

    fixture() { open_store("store"); }
    void open_store(const std::string& name) {
        proj.reset();
        db.reset();
        auto s = store::open(dir.path / name);
        BOOST_REQUIRE(s.ok());
        db = std::move(*s);
        auto p = projector::open(*log, *db, keys, {});
        BOOST_REQUIRE(p.ok());
        proj = std::move(*p);
    }
    verdict append(const bytes& record) {
        auto at = log->append(record);
        BOOST_REQUIRE(at.ok());
        leaves.push_back(merkle_leaf_hash(record));
        auto n = proj->catch_up();
        BOOST_REQUIRE(n.ok());
        auto v = proj->verdict_at(*at);
        BOOST_REQUIRE(v.has_value());
        return v->decided;
    }
    void append_all(const std::vector<bytes>& records) {
        for (const auto& r : records) {
            BOOST_REQUIRE(log->append(r).ok());
            leaves.push_back(merkle_leaf_hash(r));
        }
        BOOST_REQUIRE(proj->catch_up().ok());
    }
    // Folds the workload of `seed`; then its founder announces the node's key, from when on the
    // node may sign checkpoints.
    void workload_then_node_key(std::uint64_t seed, std::size_t members, std::size_t events) {
        const auto w = make_workload({town, members, events, seed, 0, {}});
        append_all(w.setup);
        append_all(w.events);
        BOOST_REQUIRE(
            append(encode_envelope(founder_key(seed).seal(event_body{
                       random_event_id(), town, member_id{1}, sequence{1'000'000}, time_ms{1},
                       std::nullopt, node_key_announced{node.public_bytes()}})))
                .accepted());
    }
    // A checkpoint of `size` leaves naming `root`, and the verdict tree's true root at `size`
    // unless told otherwise.
    bytes checkpoint_of(std::uint64_t size, const digest& root,
                        std::optional<std::optional<digest>> verdicts = std::nullopt) {
        auto body = checkpoint_body(town, sequence{++node_seq}, size, root,
                                    size <= leaves.size() ? true_verdict_root(size) : digest{},
                                    time_ms{1'700'000'900'000}, node.public_bytes());
        if (verdicts) std::get<checkpoint>(body.payload).verdict_root = *verdicts;
        return encode_envelope(node.seal(body));
    }
    digest true_root(std::uint64_t size) const {
        return merkle_root(std::span(leaves).first(size));
    }
    // The verdict tree recomputed from what the log says (offsets, times) and the verdicts the
    // projector gave (every record of the log is of `town`).
    std::vector<digest> verdict_leaves(std::uint64_t size) const {
        auto records = log->read(offset{0}, size, std::chrono::milliseconds(0));
        BOOST_REQUIRE(records.ok() && records->size() == size);
        auto stored = read_leaves(*db, town, 0, size);
        BOOST_REQUIRE(stored.ok() && stored->size() == size);
        std::vector<digest> out;
        for (std::uint64_t i = 0; i < size; ++i) {
            const auto& r = (*records)[i];
            BOOST_REQUIRE(r.at == (*stored)[i].at);
            out.push_back(verdict_leaf_hash(i, (*stored)[i].verdict, r.at, r.appended_at));
        }
        return out;
    }
    digest true_verdict_root(std::uint64_t size) const { return merkle_root(verdict_leaves(size)); }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(audit_projection)

BOOST_AUTO_TEST_CASE(the_tree_holds_every_record_and_checkpoints_must_name_its_true_root) {
    fixture f;
    f.workload_then_node_key(11, 20, 1500);
    auto founder = founder_key(11);

    auto head = f.proj->audit_head(town);
    BOOST_REQUIRE(head.has_value());
    BOOST_CHECK_EQUAL(head->size, f.leaves.size());
    BOOST_CHECK(head->root == f.true_root(f.leaves.size()));

    const std::uint64_t now = f.leaves.size();
    BOOST_CHECK(f.append(f.checkpoint_of(now, f.true_root(now))).accepted());
    // An earlier size, read from the kept nodes in the store, is as good.
    BOOST_CHECK(f.append(f.checkpoint_of(777, f.true_root(777))).accepted());
    BOOST_CHECK(f.append(f.checkpoint_of(778, f.true_root(777))).reason ==
                reject_reason::checkpoint_root_mismatch);
    BOOST_CHECK(f.append(f.checkpoint_of(f.leaves.size() + 1, f.true_root(3))).reason ==
                reject_reason::checkpoint_beyond_tree);
    // A member key cannot sign a checkpoint (it is not the fund's, the author of one).
    auto forged = encode_envelope(founder.seal(checkpoint_body(
        town, sequence{1'000'001}, 5, f.true_root(5), f.true_verdict_root(5), time_ms{1}, {})));
    BOOST_CHECK(f.append(forged).reason == reject_reason::signer_not_author);

    // Every record is a leaf, rejected ones too; the store answers proofs for any size.
    auto size = read_tree_size(*f.db, town);
    BOOST_REQUIRE(size.ok());
    BOOST_CHECK_EQUAL(*size, f.leaves.size());
    for (std::uint64_t n : {std::uint64_t{1}, std::uint64_t{2}, std::uint64_t{777}, *size}) {
        auto root = read_root(*f.db, town, n);
        BOOST_REQUIRE(root.ok());
        BOOST_CHECK(*root == f.true_root(n));
        for (std::uint64_t i = 0; i < n; i += 97) {
            auto proof = read_inclusion_proof(*f.db, town, i, n);
            BOOST_REQUIRE(proof.ok());
            BOOST_CHECK(merkle_verify_inclusion(f.leaves[i], i, n, *proof, *root));
        }
        auto consistency = read_consistency_proof(*f.db, town, 700, n < 700 ? 700 : n);
        if (n >= 700) {
            BOOST_REQUIRE(consistency.ok());
            BOOST_CHECK(merkle_verify_consistency(700, n, f.true_root(700), *root, *consistency));
        }
    }
    BOOST_CHECK(read_root(*f.db, town, *size + 1).err().code == errc::beyond_tree);

    // The latest accepted checkpoint, and each leaf's offset and verdict.
    auto latest = read_latest_checkpoint(*f.db, town);
    BOOST_REQUIRE(latest.ok() && latest->has_value());
    BOOST_CHECK_EQUAL((*latest)->tree_size, 777u);
    BOOST_CHECK((*latest)->signer == f.node.public_bytes());
    auto all = read_checkpoints(*f.db, town);
    BOOST_REQUIRE(all.ok());
    BOOST_CHECK_EQUAL(all->size(), 2u);
    // A page of them, by tree size (here the later checkpoint names the smaller tree), read
    // without the others: the same records.
    auto by_size = *all;
    std::sort(by_size.begin(), by_size.end(), [](const auto& a, const auto& b) {
        return std::pair(a.tree_size, a.leaf) < std::pair(b.tree_size, b.leaf);
    });
    auto first_page = read_checkpoints_from(*f.db, town, 0, 1);
    BOOST_REQUIRE(first_page.ok());
    BOOST_REQUIRE_EQUAL(first_page->size(), 1u);
    BOOST_CHECK(first_page->at(0) == by_size.at(0));
    auto next_page = read_checkpoints_from(*f.db, town, first_page->at(0).tree_size + 1, 10);
    BOOST_REQUIRE(next_page.ok());
    BOOST_REQUIRE_EQUAL(next_page->size(), 1u);
    BOOST_CHECK(next_page->at(0) == by_size.at(1));
    auto past = read_checkpoints_from(*f.db, town, by_size.at(1).tree_size + 1, 10);
    BOOST_REQUIRE(past.ok());
    BOOST_CHECK(past->empty());
    BOOST_CHECK(read_checkpoints_from(*f.db, town, 0, 0)->empty());
    auto tail = read_leaves(*f.db, town, *size - 3, 10);
    BOOST_REQUIRE(tail.ok());
    BOOST_REQUIRE_EQUAL(tail->size(), 3u);
    BOOST_CHECK(tail->at(0).verdict == reject_reason::checkpoint_root_mismatch);
    BOOST_CHECK(tail->at(2).verdict == reject_reason::signer_not_author);
    auto found = find_leaf(*f.db, town, tail->at(1).at);
    BOOST_REQUIRE(found.ok() && found->has_value());
    BOOST_CHECK_EQUAL((*found)->index, *size - 2);
    auto first = find_leaf(*f.db, town, offset{0});
    BOOST_REQUIRE(first.ok() && first->has_value());
    BOOST_CHECK_EQUAL((*first)->index, 0u);
}

BOOST_AUTO_TEST_CASE(a_checkpoint_must_also_name_the_verdict_trees_true_root) {
    fixture f;
    f.workload_then_node_key(13, 10, 600);
    const std::uint64_t n = f.leaves.size();
    const auto vleaves = f.verdict_leaves(n);
    // The projector's verdict tree is the one recomputed from the log and the verdicts.
    BOOST_CHECK(f.proj->audit_head(town)->verdict_root == merkle_root(vleaves));
    // Without it, or with a root of other verdicts or times: rejected, a reason of its own.
    // (Each of another size: a checkpoint's id is derived from its size.)
    BOOST_CHECK(f.append(f.checkpoint_of(n, f.true_root(n), std::optional<digest>())).reason ==
                reject_reason::checkpoint_verdict_root_mismatch);
    auto time_of = [&](std::uint64_t at) {
        auto r = f.log->read(offset{at}, 1, std::chrono::milliseconds(0));
        BOOST_REQUIRE(r.ok() && !r->empty());
        return (*r)[0].appended_at;
    };
    auto other = std::vector<digest>(vleaves.begin(), vleaves.end() - 1);
    other[100] =
        verdict_leaf_hash(100, reject_reason::none, offset{100}, time_ms{time_of(100).value + 1});
    BOOST_CHECK(f.append(f.checkpoint_of(n - 1, f.true_root(n - 1), merkle_root(other))).reason ==
                reject_reason::checkpoint_verdict_root_mismatch);
    other = std::vector<digest>(vleaves.begin(), vleaves.end() - 2);
    other[200] =
        verdict_leaf_hash(200, reject_reason::credit_limit_exceeded, offset{200}, time_of(200));
    BOOST_CHECK(f.append(f.checkpoint_of(n - 2, f.true_root(n - 2), merkle_root(other))).reason ==
                reject_reason::checkpoint_verdict_root_mismatch);
    // With both true roots it is accepted, and kept with its verdict root; the rejected
    // checkpoints are leaves of both trees too.
    const std::uint64_t m = f.leaves.size();
    BOOST_CHECK_EQUAL(m, n + 3);
    const auto all = f.verdict_leaves(m);
    BOOST_CHECK(f.append(f.checkpoint_of(m, f.true_root(m))).accepted());
    auto latest = read_latest_checkpoint(*f.db, town);
    BOOST_REQUIRE(latest.ok() && latest->has_value());
    BOOST_CHECK((*latest)->verdict_root == merkle_root(all));
    // The store proves each verdict leaf against it; a restart keeps the verdict tree.
    for (std::uint64_t i = 0; i < m; i += 53) {
        auto proof = read_verdict_inclusion_proof(*f.db, town, i, m);
        BOOST_REQUIRE(proof.ok());
        BOOST_CHECK(merkle_verify_inclusion(all[i], i, m, *proof, merkle_root(all)));
    }
    const auto before = f.proj->audit_head(town);
    f.open_store("store");
    BOOST_CHECK(f.proj->audit_head(town)->verdict_root == before->verdict_root);
    BOOST_CHECK(*read_verdict_root(*f.db, town, m) == merkle_root(all));
}

BOOST_AUTO_TEST_CASE(a_restart_and_a_rebuild_reach_the_same_trees) {
    fixture f;
    const auto w = make_workload({town, 10, 900, 12, 0, {}});
    f.append_all(w.setup);
    f.append_all(std::vector<bytes>(w.events.begin(), w.events.begin() + 500));
    auto before = f.proj->audit_head(town);
    f.open_store("store");  // restart: the frontier comes back from the kept nodes
    auto after = f.proj->audit_head(town);
    BOOST_REQUIRE(before && after);
    BOOST_CHECK_EQUAL(before->size, after->size);
    BOOST_CHECK(before->root == after->root);
    f.append_all(std::vector<bytes>(w.events.begin() + 500, w.events.end()));
    BOOST_CHECK(f.proj->audit_head(town)->root == f.true_root(f.leaves.size()));
    auto live = f.db->state_digest();
    BOOST_REQUIRE(live.ok());

    f.open_store("rebuilt");  // a new store folds the whole log in a few large batches
    BOOST_REQUIRE(f.proj->catch_up().ok());
    BOOST_CHECK(f.proj->audit_head(town)->root == f.true_root(f.leaves.size()));
    auto rebuilt = f.db->state_digest();
    BOOST_REQUIRE(rebuilt.ok());
    BOOST_CHECK(*rebuilt == *live);
}

BOOST_AUTO_TEST_SUITE_END()

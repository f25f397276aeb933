// The offline audit of an export (ledger/core/audit.h): a sound export passes and its balances are
// recomputed; each kind of tampering is detected and named where it happens: a changed byte, a
// dropped event, two events swapped, a checkpoint signed by an unknown key, a replaced
// countersignature, a changed verdict; and a consistency proof between two forks is refused.
#include <boost/test/unit_test.hpp>

#include "ledger/core/audit.h"
#include "api/bench/workload.h"
#include "tests/support/test_keys.h"

using namespace uurwerk;

namespace {

constexpr community_id town{9};
constexpr std::uint64_t workload_seed = 21;

// Member i+1's key in the workload.
signing_key member_key(std::size_t i) {
    return workload_member_key(workload_seed, i);
}

signing_key fill_key(std::uint8_t fill) {
    return uurwerk::testing::key_filled_with(fill);
}

const signing_key& node_key() {
    static const signing_key k = fill_key(0x77);
    return k;
}

// A tree that answers the rules from all the leaves it holds (O(n) per root; small tests).
struct test_tree final : audit_view {
    std::vector<digest> leaves;
    std::vector<digest> verdicts;
    std::optional<digest> root_at(community_id, std::uint64_t size) const override {
        if (size > leaves.size()) return std::nullopt;
        return merkle_root(std::span(leaves).first(size));
    }
    std::optional<digest> verdict_root_at(community_id, std::uint64_t size) const override {
        if (size > verdicts.size()) return std::nullopt;
        return merkle_root(std::span(verdicts).first(size));
    }
};

constexpr time_ms log_time{1'700'000'000'000};

// Builds a community's log as a node would: each record folded for its verdict, checkpoints
// by the node key every `every` events.
struct log_builder {
    ledger_state state;
    fold_effects fx;
    test_tree tree;
    std::vector<bytes> envelopes;
    std::vector<reject_reason> verdicts;
    std::vector<time_ms> times;  // the log's clock at each record
    std::uint64_t node_seq = 0;

    void add(bytes env, time_ms now = log_time) {
        auto e = decode_envelope(env);
        BOOST_REQUIRE(e.ok());
        auto b = decode_body(e->body);
        BOOST_REQUIRE(b.ok());
        fx.clear();
        const auto d = sha256({e->body});
        const offset at{envelopes.size()};
        const fold_input in{*b, e->signer, d, at, now, &tree};
        verdicts.push_back(fold(state, in, fx).reason);
        tree.verdicts.push_back(verdict_leaf_hash(envelopes.size(), verdicts.back(), at, now));
        tree.leaves.push_back(merkle_leaf_hash(env));
        times.push_back(now);
        envelopes.push_back(std::move(env));
    }
    void checkpoint_now() {
        const auto n = tree.leaves.size();
        add(encode_envelope(node_key().seal(
            checkpoint_body(town, sequence{++node_seq}, n, merkle_root(tree.leaves),
                            merkle_root(tree.verdicts), time_ms{5}, node_key().public_bytes()))));
    }
    std::string export_file() const {
        std::string out;
        append_export_header(out, town);
        for (std::size_t i = 0; i < envelopes.size(); ++i)
            append_export_record(out, {offset{i}, times[i], verdicts[i], envelopes[i]});
        return out;
    }
};

log_builder sound_log() {
    log_builder b;
    workload_options o{town, 12, 900, workload_seed, 0, {}};
    o.node_key = node_key().public_bytes();
    const auto w = make_workload(o);
    for (const auto& e : w.setup) b.add(e);
    for (std::size_t i = 0; i < w.events.size(); ++i) {
        b.add(w.events[i]);
        if (i % 300 == 299) b.checkpoint_now();
    }
    return b;
}

audit_report audit(const std::string& file, audit_options o = {}) {
    auto parsed =
        parse_export(byte_view(reinterpret_cast<const std::uint8_t*>(file.data()), file.size()));
    BOOST_REQUIRE_MESSAGE(parsed.ok(), (parsed.ok() ? "" : parsed.err().message));
    o.trusted_node_keys = {node_key().public_bytes()};
    o.threads = 2;
    return verify_export(*parsed, o);
}

// An event of member `author` (acting for `on_behalf_of`, if given), signed by their own key
// with its next sequence number in `b`'s log.
bytes member_event(const log_builder& b, member_id author, event_payload payload,
                   std::optional<member_id> on_behalf_of = std::nullopt) {
    const auto key = member_key(author.value - 1);
    const auto& k = b.state.communities.at(town).keys.at(key.public_bytes());
    const event_body body{
        random_event_id(), town, author, sequence{k.last_seq.value + 1}, time_ms{1}, on_behalf_of,
        std::move(payload)};
    return encode_envelope(key.seal(body));
}

// A transfer of `amount` from member `from` to `to`: an event the member could have made but
// never submitted.
bytes member_transfer(const log_builder& b, member_id from, member_id to, minutes amount) {
    return member_event(b, from, transfer{to, amount, std::nullopt});
}

event_id id_of(const bytes& envelope) {
    return decode_body(decode_envelope(envelope)->body)->id;
}

// The byte offset of record i's envelope in an export file.
std::size_t envelope_at(const std::string& file, std::size_t record) {
    std::size_t pos = export_header_bytes;
    for (std::size_t i = 0;; ++i) {
        std::uint32_t n = 0;
        for (int k = 0; k < 4; ++k)
            n = n << 8 | static_cast<std::uint8_t>(file[pos + 18 + static_cast<std::size_t>(k)]);
        if (i == record) return pos + export_record_header_bytes;
        pos += export_record_header_bytes + n;
    }
}

std::size_t first_index_of(const log_builder& b, event_kind kind, std::size_t from = 0) {
    for (std::size_t i = from; i < b.envelopes.size(); ++i) {
        auto body = decode_body(decode_envelope(b.envelopes[i])->body);
        if (body->kind() == kind) return i;
    }
    BOOST_FAIL("no such kind");
    return 0;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(offline_audit)

BOOST_AUTO_TEST_CASE(a_sound_export_passes_and_its_ledger_is_recomputed) {
    auto b = sound_log();
    auto r = audit(b.export_file());
    BOOST_REQUIRE_MESSAGE(r.ok, r.problem);
    BOOST_CHECK_EQUAL(r.records, b.envelopes.size());
    BOOST_CHECK_EQUAL(r.checkpoints, 3u);
    BOOST_CHECK_EQUAL(r.rejected, 0u);
    BOOST_CHECK(r.root == merkle_root(b.tree.leaves));
    BOOST_CHECK_EQUAL(r.balance_sum.value, 0);
    // The recomputed balances are the node's.
    const auto& cs = b.state.communities.at(town);
    BOOST_REQUIRE_EQUAL(r.members.size(), cs.members.size());
    for (const auto& m : r.members) {
        BOOST_CHECK_EQUAL(m.balance.value, cs.members.at(m.member).balance.value);
        BOOST_CHECK_EQUAL(m.confirmed_given.value, cs.members.at(m.member).confirmed_given.value);
    }
    BOOST_CHECK_GT(r.confirmed_total.value, 0);
}

BOOST_AUTO_TEST_CASE(one_changed_byte_is_found_in_its_record) {
    auto b = sound_log();
    for (std::size_t record : {std::size_t{0}, std::size_t{400}, b.envelopes.size() - 1}) {
        auto file = b.export_file();
        file[envelope_at(file, record) + 60] ^= 0x01;
        auto r = audit(file);
        BOOST_CHECK(!r.ok);
        BOOST_CHECK_EQUAL(r.problem_record.value_or(999'999), record);
        BOOST_TEST_MESSAGE(r.problem);
    }
}

BOOST_AUTO_TEST_CASE(a_dropped_or_reordered_event_breaks_the_next_checkpoint_or_a_verdict) {
    auto b = sound_log();
    const std::size_t first_cp = first_index_of(b, event_kind::checkpoint);
    {
        auto dropped = b;
        dropped.envelopes.erase(dropped.envelopes.begin() + 100);
        dropped.verdicts.erase(dropped.verdicts.begin() + 100);
        dropped.times.erase(dropped.times.begin() + 100);
        auto r = audit(dropped.export_file());
        BOOST_CHECK(!r.ok);
        BOOST_CHECK_GE(r.problem_record.value_or(0), 100u);
        BOOST_CHECK_LE(r.problem_record.value_or(999'999), first_cp);
        BOOST_TEST_MESSAGE(r.problem);
    }
    {
        auto swapped = b;
        std::swap(swapped.envelopes[120], swapped.envelopes[121]);
        auto r = audit(swapped.export_file());
        BOOST_CHECK(!r.ok);
        BOOST_CHECK_GE(r.problem_record.value_or(0), 120u);
        BOOST_CHECK_LE(r.problem_record.value_or(999'999), first_cp);
        BOOST_TEST_MESSAGE(r.problem);
    }
}

BOOST_AUTO_TEST_CASE(a_checkpoint_signed_by_an_unknown_key_is_refused_by_name) {
    auto b = sound_log();
    const std::size_t cp = first_index_of(b, event_kind::checkpoint);
    auto body = decode_body(decode_envelope(b.envelopes[cp])->body);
    auto stranger = fill_key(0x13);
    auto forged = b;
    forged.envelopes[cp] = encode_envelope(stranger.seal(*body));
    auto r = audit(forged.export_file());
    BOOST_CHECK(!r.ok);
    BOOST_CHECK_EQUAL(r.problem_record.value_or(0), cp);
    BOOST_CHECK(r.problem.find("not a trusted node key") != std::string::npos);
    BOOST_TEST_MESSAGE(r.problem);
}

BOOST_AUTO_TEST_CASE(a_checkpoint_signed_after_its_node_key_was_revoked_vouches_for_nothing) {
    // A leaked node.key: the coordinator revokes it in the log; from there on what it signs is
    // rejected, and an export whose node marks such a checkpoint accepted fails the audit, even
    // for an auditor who still trusts the key.
    auto b = sound_log();
    b.add(member_event(b, member_id{1}, key_revoked{community_fund, node_key().public_bytes()}));
    BOOST_REQUIRE_EQUAL(reason_name(b.verdicts.back()), "none");
    b.checkpoint_now();
    BOOST_CHECK_EQUAL(reason_name(b.verdicts.back()), "signer_revoked");
    const std::size_t late = b.envelopes.size() - 1;
    // Told as it is, the late checkpoint attests nothing: the records since the last trusted
    // checkpoint are an unverified tail.
    audit_options allow;
    allow.tail = unverified_tail::report;
    auto honest = audit(b.export_file(), allow);
    BOOST_CHECK_MESSAGE(honest.ok, honest.problem);
    BOOST_CHECK_LT(honest.attested_leaves, late);
    // A node that marks it accepted is caught, by name.
    auto lying = b;
    lying.verdicts.back() = reject_reason::none;
    auto r = audit(lying.export_file());
    BOOST_CHECK(!r.ok);
    BOOST_CHECK_EQUAL(r.problem_record.value_or(0), late);
    BOOST_CHECK_MESSAGE(r.problem.find("after its revocation") != std::string::npos, r.problem);
}

BOOST_AUTO_TEST_CASE(a_replaced_countersignature_is_found) {
    auto b = sound_log();
    const std::size_t confirm = first_index_of(b, event_kind::hours_confirmed);
    auto env = decode_envelope(b.envelopes[confirm]);
    auto body = decode_body(env->body);
    // The same confirmation, signed by the claimant's key instead of the receiver's.
    const auto& claim_id = std::get<hours_confirmed>(body->payload).claim;
    member_id claimant{0};
    for (std::size_t i = 0; i < confirm; ++i) {
        auto cb = decode_body(decode_envelope(b.envelopes[i])->body);
        if (cb->id == claim_id) claimant = cb->author;
    }
    BOOST_REQUIRE(claimant.value != 0);
    auto tampered = b;
    tampered.envelopes[confirm] = encode_envelope(member_key(claimant.value - 1).seal(*body));
    auto r = audit(tampered.export_file());
    BOOST_CHECK(!r.ok);
    BOOST_CHECK_EQUAL(r.problem_record.value_or(0), confirm);
    BOOST_TEST_MESSAGE(r.problem);
    // And a signature that is simply someone else's bytes does not verify at all.
    auto garbled = b;
    env->sig.b[7] ^= 0x40;
    garbled.envelopes[confirm] = encode_envelope(*env);
    auto g = audit(garbled.export_file());
    BOOST_CHECK(!g.ok);
    BOOST_CHECK(g.problem.find("signature does not verify") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_changed_verdict_is_named_with_both_verdicts) {
    auto b = sound_log();
    auto lying = b;
    lying.verdicts[500] = reject_reason::credit_limit_exceeded;
    auto r = audit(lying.export_file());
    BOOST_CHECK(!r.ok);
    BOOST_CHECK_EQUAL(r.problem_record.value_or(0), 500u);
    BOOST_CHECK(r.problem.find("credit_limit_exceeded") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_consistency_proof_between_two_forks_is_refused) {
    // Two logs that agree on their first 250 events and then differ.
    auto b = sound_log();
    std::vector<digest> left(b.tree.leaves.begin(), b.tree.leaves.begin() + 300);
    std::vector<digest> right = left;
    right[250] = merkle_leaf_hash(byte_view());
    auto node = [](const std::vector<digest>& leaves) {
        return [&leaves](std::uint32_t level, std::uint64_t index) {
            const std::uint64_t width = std::uint64_t{1} << level;
            return merkle_root(std::span(leaves).subspan(index * width, width));
        };
    };
    const auto proof = merkle_consistency_proof(200, 300, node(right));
    const auto old_root = merkle_root(std::span(left).first(200));
    BOOST_CHECK(merkle_verify_consistency(200, 300, old_root, merkle_root(right), proof));
    BOOST_CHECK(!merkle_verify_consistency(200, 300, old_root, merkle_root(left), proof));
    const auto fork_proof = merkle_consistency_proof(260, 300, node(right));
    BOOST_CHECK(!merkle_verify_consistency(260, 300, merkle_root(std::span(left).first(260)),
                                           merkle_root(right), fork_proof));
}

BOOST_AUTO_TEST_CASE(a_forged_record_after_the_last_checkpoint_is_never_counted_as_verified) {
    auto b = sound_log();
    const auto before = audit(b.export_file());
    BOOST_REQUIRE_MESSAGE(before.ok, before.problem);
    BOOST_CHECK_EQUAL(before.tail_records, 0u);
    // Member 1 signs a transfer of 100 minutes to member 2 and never submits it; someone
    // appends it to the export, marked accepted (the rules would accept it).
    const std::size_t forged = b.envelopes.size();
    b.add(member_transfer(b, member_id{1}, member_id{2}, minutes{100}));
    BOOST_REQUIRE(b.verdicts.back() == reject_reason::none);
    auto r = audit(b.export_file());
    BOOST_CHECK(!r.ok);
    BOOST_CHECK_EQUAL(r.problem_record.value_or(0), forged);
    BOOST_CHECK(r.problem.find("beyond the last trusted checkpoint") != std::string::npos);
    BOOST_TEST_MESSAGE(r.problem);
    // Asked to, the auditor counts it apart: the figures it changed say so, the others not.
    audit_options o;
    o.tail = unverified_tail::report;
    auto told = audit(b.export_file(), o);
    BOOST_REQUIRE_MESSAGE(told.ok, told.problem);
    BOOST_CHECK_EQUAL(told.tail_records, 1u);
    for (std::size_t i = 0; i < told.members.size(); ++i) {
        const auto& m = told.members[i];
        const bool party = m.member == member_id{1} || m.member == member_id{2};
        BOOST_CHECK_EQUAL(m.includes_tail, party);
        if (m.member == member_id{2})
            BOOST_CHECK_EQUAL(m.balance.value, before.members[i].balance.value + 100);
    }
    // A checkpoint covering it makes it verified.
    b.checkpoint_now();
    auto covered = audit(b.export_file());
    BOOST_CHECK_MESSAGE(covered.ok, covered.problem);
    BOOST_CHECK_EQUAL(covered.tail_records, 0u);
}

BOOST_AUTO_TEST_CASE(an_export_cut_short_does_not_reach_the_checkpoint_the_auditor_expects) {
    auto b = sound_log();
    const auto whole = audit(b.export_file());
    BOOST_REQUIRE(whole.ok);
    const expected_checkpoint last{
        b.tree.leaves.size() - 1,
        merkle_root(std::span(b.tree.leaves).first(b.tree.leaves.size() - 1))};
    audit_options o;
    o.expect = last;
    BOOST_CHECK_MESSAGE(audit(b.export_file(), o).ok, audit(b.export_file(), o).problem);
    // Cut after the second checkpoint, at a record boundary: alone it is a sound export...
    auto cut = b;
    const std::size_t keep =
        first_index_of(b, event_kind::checkpoint, first_index_of(b, event_kind::checkpoint) + 1) +
        1;
    cut.envelopes.resize(keep);
    cut.verdicts.resize(keep);
    cut.times.resize(keep);
    BOOST_CHECK(audit(cut.export_file()).ok);
    // ...but it does not reach the checkpoint the auditor kept.
    auto r = audit(cut.export_file(), o);
    BOOST_CHECK(!r.ok);
    BOOST_CHECK(r.problem.find("fewer than the") != std::string::npos);
    BOOST_TEST_MESSAGE(r.problem);
    // Nor does an export of another history of the same length.
    audit_options other;
    other.expect = expected_checkpoint{last.tree_size, merkle_root(std::span(b.tree.leaves))};
    auto w = audit(b.export_file(), other);
    BOOST_CHECK(!w.ok);
    BOOST_CHECK(w.problem.find("not the root") != std::string::npos);
}

// The checkpoint the auditor kept signs the verdicts and log times too: an export that reaches
// its event root but not its verdict root is not the log it signed, even when no checkpoint in
// the export covers those records (the unverified tail, allowed).
BOOST_AUTO_TEST_CASE(an_expected_checkpoint_holds_the_verdicts_and_log_times_too) {
    auto b = sound_log();
    const std::size_t n = b.tree.leaves.size() - 1;  // the last record: a checkpoint of n
    audit_options o;
    o.expect = expected_checkpoint{n, merkle_root(std::span(b.tree.leaves).first(n)),
                                   merkle_root(std::span(b.tree.verdicts).first(n))};
    const auto whole = audit(b.export_file(), o);
    BOOST_REQUIRE_MESSAGE(whole.ok, whole.problem);
    // Without that checkpoint record, and one log time after the one before it moved by 1 ms:
    // the rules give the same verdicts, and the events the same root.
    auto altered = b;
    altered.envelopes.pop_back();
    altered.verdicts.pop_back();
    altered.times.pop_back();
    altered.times[n - 10] = time_ms{altered.times[n - 10].value + 1};
    o.tail = unverified_tail::report;
    const auto r = audit(altered.export_file(), o);
    BOOST_CHECK(!r.ok);
    BOOST_CHECK_MESSAGE(r.problem.find("not the verdict root") != std::string::npos, r.problem);
    // Unaltered, it reaches the checkpoint (its records after the one before unverified).
    auto cut = b;
    cut.envelopes.pop_back();
    cut.verdicts.pop_back();
    cut.times.pop_back();
    const auto reached = audit(cut.export_file(), o);
    BOOST_CHECK_MESSAGE(reached.ok, reached.problem);
    BOOST_CHECK_GT(reached.tail_records, 0u);
}

BOOST_AUTO_TEST_CASE(a_consistent_rewrite_of_verdicts_and_log_times_is_found) {
    // Member 3 lets member 4 confirm hours for them until a time T; member 2 claims 120
    // minutes of help from member 3, and member 4 confirms it for them before T.
    auto b = sound_log();
    const time_ms until{log_time.value + 60'000};
    b.add(member_event(b, member_id{3},
                       delegation_granted{member_id{4}, {event_kind::hours_confirmed}, until}));
    const auto claim =
        member_event(b, member_id{2}, hours_claimed{member_id{3}, minutes{120}, {}, std::nullopt});
    b.add(claim);
    const std::size_t confirmation = b.envelopes.size();
    b.add(member_event(b, member_id{4}, hours_confirmed{id_of(claim)}, member_id{3}),
          time_ms{until.value - 1});
    BOOST_REQUIRE(b.verdicts[confirmation] == reject_reason::none);
    b.checkpoint_now();
    const auto honest = audit(b.export_file());
    BOOST_REQUIRE_MESSAGE(honest.ok, honest.problem);

    // The export says the confirmation was logged after T and rejected: the rules agree with
    // that story, and it takes 120 minutes from member 2. The checkpoint signed the true
    // verdict and time.
    auto rewritten = b;
    rewritten.times[confirmation] = time_ms{until.value + 1};
    rewritten.verdicts[confirmation] = reject_reason::not_delegated;
    auto r = audit(rewritten.export_file());
    BOOST_CHECK(!r.ok);
    BOOST_CHECK_EQUAL(r.problem_record.value_or(0), b.envelopes.size() - 1);
    BOOST_CHECK_MESSAGE(r.problem.find("not what the node signed") != std::string::npos, r.problem);
    // A log time alone is found as well.
    auto retimed = b;
    retimed.times[100] = time_ms{retimed.times[100].value + 1};
    BOOST_CHECK(!audit(retimed.export_file()).ok);
}

BOOST_AUTO_TEST_CASE(a_broken_file_is_refused_with_where) {
    auto b = sound_log();
    auto file = b.export_file();
    auto cut = file.substr(0, file.size() - 10);
    auto parsed =
        parse_export(byte_view(reinterpret_cast<const std::uint8_t*>(cut.data()), cut.size()));
    BOOST_REQUIRE(!parsed.ok());
    BOOST_CHECK(parsed.err().message.find("cut short") != std::string::npos);
    std::string wrong = "NOTAUDIT" + file.substr(8);
    BOOST_CHECK(
        !parse_export(byte_view(reinterpret_cast<const std::uint8_t*>(wrong.data()), wrong.size()))
             .ok());
    // An export of format 1 (checkpoints without verdicts) is refused, saying why.
    std::string old = "UWAUDIT1" + file.substr(8);
    auto refused =
        parse_export(byte_view(reinterpret_cast<const std::uint8_t*>(old.data()), old.size()));
    BOOST_REQUIRE(!refused.ok());
    BOOST_CHECK_MESSAGE(refused.err().message.find("old format UWAUDIT1") != std::string::npos,
                        refused.err().message);
}

BOOST_AUTO_TEST_SUITE_END()

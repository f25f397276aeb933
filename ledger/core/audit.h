#pragma once
// The audit side of the ledger, pure: how a node's checkpoint event is made, the export file
// format, and the offline verifier that needs nothing but an export and trusted node keys.
// (The Merkle maths are in merkle.h; the projection that keeps the trees in projections/.)
//
// Threading: functions are pure; verify_export uses the threads it is given and returns when
// they are done.

#include "ledger/core/crypto.h"
#include "ledger/core/merkle.h"
#include "ledger/core/rules.h"

namespace uurwerk {

// The id of a node's checkpoint of `c`'s tree at `tree_size`: derived from what it is about, so
// that two copies of the same checkpoint (a retry, a second node in a cluster with the same
// key) are one event, and the second a harmless duplicate.
[[nodiscard]] event_id checkpoint_event_id(community_id c, std::uint64_t tree_size,
                                           const public_key& node_key);

// The id a node gives an event it derives (a checkpoint, a match proposal) from `derived`, the id
// computed from what the event is about (checkpoint_event_id, matching's proposal_id): keyed
// with a secret of the node's key, so that nobody without that key can compute it ahead and take
// it in the community with an event of their own (which would make the node's a repeat), while
// every node holding the same key derives the same id, and a second copy stays a duplicate.
// = the first 16 bytes of SHA-256("uurwerk/node-event-id/v1" || K || derived), where K =
// SHA-256("uurwerk/node-id-key/v1" || the key's private seed).
[[nodiscard]] event_id node_event_id(const signing_key& node_key, const event_id& derived);

// The body of a checkpoint signed by a node key (author: the community fund, member 0): the
// event tree's and the verdict tree's roots at `tree_size`.
[[nodiscard]] event_body checkpoint_body(community_id c, sequence seq, std::uint64_t tree_size,
                                         const digest& root, const digest& verdict_root,
                                         time_ms now, const public_key& node_key);

// The verdict tree. A signature proves only that an event was signed, not that the ledger
// accepted it, nor when it was logged: beside each community's event tree the node keeps a
// second RFC 6962 tree whose leaf i commits to what the log and the fold said of event leaf i.
// Its leaf data (26 bytes, big-endian) is
//   leaf index (u64) || verdict (u16, a reject_reason number, 0 = accepted) ||
//   log offset (u64) || log time in ms (i64)
// and its leaf hash SHA-256(0x00 || those bytes), nodes as in the event tree. A checkpoint of
// size N signs both roots at N; the verdict of leaf i < N is known once leaf i is folded, so the
// verdict tree at N is well defined when the checkpoint (a later leaf) is folded.
inline constexpr std::size_t verdict_leaf_bytes = 8 + 2 + 8 + 8;
[[nodiscard]] std::array<std::uint8_t, verdict_leaf_bytes> verdict_leaf_data(
    std::uint64_t leaf_index, reject_reason verdict, offset at, time_ms appended_at);
[[nodiscard]] digest verdict_leaf_hash(std::uint64_t leaf_index, reject_reason verdict, offset at,
                                       time_ms appended_at);

}  // namespace uurwerk

namespace uurwerk {

// ---------------------------------------------------------------------------------------------
// The export file: one community's log, as its Merkle tree's leaves in order. Stable; every
// number big-endian:
//
//   header  "UWAUDIT2" (8 bytes), community id (u64)
//   record  log offset (u64), log time in ms (i64), the node's verdict (u16, a reject_reason
//           number, 0 = accepted), envelope length (u32, 1..4096), the stored envelope
//   ... records follow each other to the end of the file; record i is leaf i.
//
// Checkpoints are records like any other (checkpoint events signed by a node key). The leaf
// hash of a record is SHA-256(0x00 || envelope). The offset, time and verdict are the log's and
// the node's: a checkpoint's verdict root covers them (verdict_leaf_hash). Format 1
// ("UWAUDIT1", the same layout) came from nodes whose checkpoints signed no verdicts: refused.
// ledger/FORMAT.md has it all.

inline constexpr std::string_view export_magic = "UWAUDIT2";
inline constexpr std::string_view export_magic_v1 = "UWAUDIT1";
inline constexpr std::size_t export_header_bytes = 16;
inline constexpr std::size_t export_record_header_bytes = 8 + 8 + 2 + 4;

struct export_record {
    offset at;
    time_ms appended_at;
    reject_reason verdict = reject_reason::none;
    byte_view envelope;  // borrowed from the file or the caller
};

void append_export_header(std::string& out, community_id c);
void append_export_record(std::string& out, const export_record& r);

// Parses a whole export held in memory; records borrow from `file`. Errors ("bad_export") say
// what is wrong and at which byte and record.
struct parsed_export {
    community_id community;
    std::vector<export_record> records;
};
[[nodiscard]] result<parsed_export> parse_export(byte_view file);

}  // namespace uurwerk

#include <functional>
#include <set>

namespace uurwerk {

// ---------------------------------------------------------------------------------------------
// The offline audit of an export: trusts nothing but the file and the node keys it is given.
// In order: every envelope decodes and its signature verifies (on every core); every record
// belongs to the export's community; the event tree and the verdict tree are rebuilt leaf by
// leaf; every checkpoint is signed by a trusted node key and names both rebuilt roots at its
// size; the ledger rules are replayed and each verdict must equal the node's; then every
// balance and every member's confirmed hours are recomputed. It stops at the first
// discrepancy and names it.
// Event ids are scoped by community, so one community's export settles every verdict in it.

// A checkpoint the auditor holds from elsewhere (kept earlier, or read off the node): the
// export must reach it, so that an export cut short is not taken for the whole log, and its
// first tree_size records must give both its roots: the verdict root signs their verdicts, log
// offsets and log times, which no checkpoint in the export may cover (an unverified tail).
// Without verdict_root (an auditor who kept only the size and root) those are not compared.
struct expected_checkpoint {
    std::uint64_t tree_size = 0;
    digest root;
    std::optional<digest> verdict_root = std::nullopt;
};

// What to do with records after the last trusted checkpoint's tree: no node has signed for
// them (or for their verdicts and times), so they are never counted as verified.
enum class unverified_tail : std::uint8_t {
    refuse,  // the audit fails, naming them (the default)
    report,  // counted apart; the figures they change say so
};

struct audit_options {
    std::set<public_key> trusted_node_keys;
    unverified_tail tail = unverified_tail::refuse;
    std::optional<expected_checkpoint> expect;
    std::size_t threads = 0;  // 0 = every core
    // Called now and then with (phase, done, total); phase is "verify" or "replay".
    std::function<void(std::string_view, std::size_t, std::size_t)> progress = {};
};

struct member_totals {
    member_id member;
    minutes balance{0};
    minutes confirmed_given{0};  // minutes of help given and confirmed (reversals net)
    bool includes_tail = false;  // changed by a record of the unverified tail
};

struct audit_report {
    bool ok = true;
    std::string problem;                        // the first discrepancy, naming where
    std::optional<std::size_t> problem_record;  // its record (= leaf) index
    std::size_t records = 0, accepted = 0, rejected = 0, checkpoints = 0;
    std::uint64_t attested_leaves = 0;  // leaves covered by the last checkpoint
    // Records at or beyond attested_leaves, trusted checkpoints aside (each vouches for itself
    // by its signature): the unverified tail. Only with unverified_tail::report is a report
    // with a tail ok.
    std::size_t tail_records = 0;
    digest root;  // over every leaf of the export
    std::vector<member_totals> members;
    minutes fund{0};
    bool fund_includes_tail = false;
    minutes balance_sum{0};  // members and fund: 0 in a sound ledger
    minutes confirmed_total{0};
};

[[nodiscard]] audit_report verify_export(const parsed_export& e, const audit_options& options);

// Only the Merkle part: the leaf hashes (on every core) and the root of every prefix a
// checkpoint names. For `bench audit`. Returns the root over all leaves.
[[nodiscard]] digest merkle_part_of_export(const parsed_export& e, std::size_t threads);

}  // namespace uurwerk

#pragma once
// An hour certificate: a self-contained document a member hands to a third party (a school, a
// municipality) to prove hours of help they gave, checkable offline with nothing but the node
// keys the third party trusts. Pure: no I/O.
//
// What it holds: the node's signed checkpoint (community, tree size, the event tree's root and
// the verdict tree's); each confirmed claim of the member as two signed events (the member's
// claim, the receiver's confirmation); and the events that bind every signing key to its member
// (the founding, admissions, added keys, and the revocations of those keys the node knows of)
// and the delegations a claim or confirmation used (and their revocations). Every one of them
// comes with two inclusion proofs against the checkpoint: of the event in the event tree, and of
// its verdict leaf in the verdict tree (ledger/core/audit.h), which says the ledger accepted it and
// when it was logged. The JSON form and its fields are in ledger/FORMAT.md.
//
// What verifying it establishes: every event is in the community's log as the node attested it
// at the checkpoint, and the ledger accepted every one of them (so each passed the rules when
// it was folded: its key registered and not revoked, its delegation valid, the claim within
// policy, the confirmation by the receiver, and so on); each claim is the member's own, for the
// minutes stated, and confirmed by an accepted confirmation logged in [from, to); and, checked
// again here independently of the ledger, every key is bound to its member through accepted
// admissions that start at the community's founding event (leaf 0), no key signs after a
// revocation the certificate lists, and a delegation is used only for its kinds, before its
// expiry (on the log time its verdict leaf commits to) and before a listed revocation.
// What it cannot establish: that nothing after the confirmation undid it (a reversal, which the
// node leaves out of the certificates it builds), nor a revocation the certificate omits (the
// verdict proofs already show each event was valid when logged). A full audit of the export
// checks everything. The node keys trusted are the verifier's: a node key revoked in the log is
// not known to this check; drop it from the trusted list.

#include <set>

#include "ledger/core/audit.h"
#include "ledger/core/personal.h"

namespace uurwerk {

struct proved_event {
    std::uint64_t leaf_index = 0;
    bytes envelope;  // the stored envelope: its leaf hash is SHA-256(0x00 || envelope)
    std::vector<digest> audit_path;
    // Its verdict leaf, (leaf_index, accepted, at, appended_at), proved in the verdict tree.
    offset at;
    time_ms appended_at;
    std::vector<digest> verdict_path;
};

struct hour_certificate {
    community_id community;
    member_id member;
    time_ms from;  // confirmations logged at or after
    time_ms to;    // and before
    std::uint64_t tree_size = 0;
    bytes checkpoint_envelope;  // the node's signed checkpoint of tree_size leaves
    // Founding, admissions, added and revoked keys, delegations granted and revoked.
    std::vector<proved_event> bindings;
    struct confirmed_claim {
        proved_event claim;
        proved_event confirmation;
        // The claim's note, revealed by the member: its salt and text. None: not revealed (or
        // the claim has no note).
        std::optional<personal_text> note = std::nullopt;
    };
    std::vector<confirmed_claim> claims;
    minutes stated_total{0};  // what the document says; must equal the sum of the claims
};

// A note the member revealed, checked against its claim's commitment.
struct revealed_note {
    std::size_t claim = 0;  // index in hour_certificate::claims
    std::string text;
};

struct certificate_report {
    bool ok = true;
    std::string problem;  // the first thing that does not hold, naming where
    std::size_t claims = 0;
    minutes total{0};
    std::uint64_t tree_size = 0;
    digest root;
    digest verdict_root;
    public_key node;
    std::vector<revealed_note> notes;  // each one checked, in claim order
};

[[nodiscard]] certificate_report verify_certificate(const hour_certificate& c,
                                                    const std::set<public_key>& trusted_node_keys);

}  // namespace uurwerk

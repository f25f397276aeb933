#pragma once
// An hour certificate: a self-contained document a member hands to a third party (a school, a
// municipality) to prove hours of help they gave, checkable offline with nothing but the node
// keys the third party trusts. Pure: no I/O.
//
// What it holds: the node's signed checkpoint (community, tree size, root); each confirmed claim
// of the member as two signed events (the member's claim, the receiver's confirmation), each
// with its inclusion proof against that checkpoint; and the events that bind every signing key
// to its member (the founding, admissions, added keys) and the delegations a confirmation used,
// each proved the same way. The JSON form and its fields are in ledger/README.md.
//
// What verifying it establishes: every event is in the community's log as the node attested it
// at the checkpoint; each claim is the member's own, for the minutes stated; each confirmation
// names that claim and was signed by its receiver (or a coordinator, or the receiver's delegate
// for confirmations); every key is bound to its member through a chain of admissions that
// starts at the community's founding event (leaf 0). What it does not establish: that nothing
// later reversed a claim or revoked a key (a full audit of the export does that).

#include <set>

#include "ledger/audit.h"

namespace uurwerk {

struct proved_event {
    std::uint64_t leaf_index = 0;
    bytes envelope;  // the stored envelope: its leaf hash is SHA-256(0x00 || envelope)
    std::vector<digest> audit_path;
};

struct hour_certificate {
    community_id community;
    member_id member;
    time_ms from;  // confirmations logged at or after
    time_ms to;    // and before
    std::uint64_t tree_size = 0;
    bytes checkpoint_envelope;           // the node's signed checkpoint of tree_size leaves
    std::vector<proved_event> bindings;  // founding, admissions, added keys, delegations
    struct confirmed_claim {
        proved_event claim;
        proved_event confirmation;
    };
    std::vector<confirmed_claim> claims;
    minutes stated_total{0};  // what the document says; must equal the sum of the claims
};

struct certificate_report {
    bool ok = true;
    std::string problem;  // the first thing that does not hold, naming where
    std::size_t claims = 0;
    minutes total{0};
    std::uint64_t tree_size = 0;
    digest root;
    public_key node;
};

[[nodiscard]] certificate_report verify_certificate(const hour_certificate& c,
                                                    const std::set<public_key>& trusted_node_keys);

}  // namespace uurwerk

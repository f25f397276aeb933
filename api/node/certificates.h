#pragma once
// Hour certificates on the node's side: assembling one for a member and a period from the log,
// the store and the ledger state (GET /v1/communities/{c}/members/{m}/certificate and
// `uurwerk audit certificate`), and its JSON form, written and read (ledger/FORMAT.md, section
// 5, has the format; ledger/core/certificate.h the verification).
//
// Threading: build_certificate reads the node from any thread.

#include "api/node/node.h"
#include "ledger/core/certificate.h"

namespace uurwerk {

// Whether a certificate shows the notes of the claims it covers (selective disclosure): hidden,
// it holds no text at all, only the notes' commitments in the signed claims; revealed, it holds
// each note's salt and text from the personal-data store, which a verifier checks against the
// commitment. Who may ask for either is the route's access rule (api/http/access.h).
enum class note_disclosure : std::uint8_t { hidden, revealed };

// The member's confirmed claims whose confirmation was logged in [from, to), proved against the
// latest checkpoint (claims after it, or reversed since, are left out). Errors:
// "unknown_community", "unknown_member", "no_checkpoint", "note_unavailable" (notes revealed,
// but a claim's note is not in the personal-data store: erased, or in a cluster not here yet),
// and read errors.
[[nodiscard]] result<hour_certificate> build_certificate(
    node& n, community_id c, member_id m, time_ms from, time_ms to,
    note_disclosure notes = note_disclosure::hidden);

[[nodiscard]] std::string certificate_to_json(const hour_certificate& c);
// Errors: "bad_certificate", saying which field is wrong.
[[nodiscard]] result<hour_certificate> certificate_from_json(std::string_view text);

}  // namespace uurwerk

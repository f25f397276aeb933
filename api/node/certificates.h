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

// The member's confirmed claims whose confirmation was logged in [from, to), proved against the
// latest checkpoint (claims after it, or reversed since, are left out). Errors:
// "unknown_community", "unknown_member", "no_checkpoint", and read errors.
[[nodiscard]] result<hour_certificate> build_certificate(node& n, community_id c, member_id m,
                                                         time_ms from, time_ms to);

[[nodiscard]] std::string certificate_to_json(const hour_certificate& c);
// Errors: "bad_certificate", saying which field is wrong.
[[nodiscard]] result<hour_certificate> certificate_from_json(std::string_view text);

}  // namespace uurwerk

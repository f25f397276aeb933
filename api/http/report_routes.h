#pragma once
// The report route of the HTTP API (api/README.md, "Reports"):
// GET /v1/communities/{c}/reports/{name}?from_ms=&to_ms=[&days=][&format=csv|json], computed by
// the node at the community's latest signed checkpoint (api/node/reports.h: report_cache). The
// router checks the session (coordinators and auditors of {c} only) and that the community exists
// first.
//
// Threading: safe from any number of worker threads (reads).

#include <string_view>

#include "api/http/route_support.h"
#include "api/node/reports.h"

namespace uurwerk::report_routes {

// `cache` keeps the communities' report facts (api/node/reports.h).
[[nodiscard]] http_response report(report_cache& cache, node& n, community_id c,
                                   std::string_view name, const target_parts& t);

// GET /v1/communities/{c}/impact (api/README.md, "The public impact page"), for anyone when the
// community's policy makes its impact figures public (else 403 impact_not_public): the impact
// report of each of the last twelve months at the latest checkpoint, and of them together.
[[nodiscard]] http_response impact_page(report_cache& cache, node& n, community_id c);

}  // namespace uurwerk::report_routes

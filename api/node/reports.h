#pragma once
// The coordinators' reports as a node computes them (api/README.md, "Reports"): the leaves of a
// community's tree up to its latest signed checkpoint, read from the log in order with their
// verdicts and log times, folded by the pure report_builder (ledger/core/report.h), the same
// fold `uurwerk audit report` runs over a verified export.
//
// Threading: safe from any number of threads (reads of the log and of committed projections).

#include "api/node/node.h"
#include "ledger/core/report.h"

namespace uurwerk {

// How many leaves a report reads from the log at a time.
inline constexpr std::size_t report_leaves_page = 10'000;

// The report `p` of `p.community` at its latest checkpoint. Errors: "no_checkpoint" (none yet),
// "io_error" (a record of the tree does not decode), the log's and the store's.
[[nodiscard]] result<report_table> compute_report(node& n, const report_params& p);

}  // namespace uurwerk

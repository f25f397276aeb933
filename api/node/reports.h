#pragma once
// The coordinators' reports as a node computes them (api/README.md, "Reports"): at a
// community's latest signed checkpoint, over the leaves of its tree read from the log in order
// with their verdicts and log times, folded by the pure report_facts (ledger/core/report.h), the
// same fold `uurwerk audit report` runs over a verified export.
//
// The cache keeps each community's facts in memory at the tree size of the checkpoint they were
// last extended to: the first report after the node starts reads the whole tree (about 2.5 s a
// million events here), the next ones at the same checkpoint read nothing, and after a new
// checkpoint only its new leaves are read. At most report_cache_communities_max communities'
// facts are kept (another one is forgotten, and read again when asked for). A checkpoint of a
// smaller tree than the facts (a node key's older one accepted later) starts them afresh.
//
// Threading: compute() may be called from any number of threads; one community's reports are
// computed one at a time (its facts are extended in place), different communities' at once.

#include <map>
#include <memory>
#include <mutex>

#include "api/node/node.h"
#include "ledger/core/report.h"

namespace uurwerk {

// How many leaves a report reads from the log at a time.
inline constexpr std::size_t report_leaves_page = 10'000;
inline constexpr std::size_t report_cache_communities_max = 16;

class report_cache {
public:
    // The report `p` of `p.community` at its latest checkpoint. Errors: "no_checkpoint" (none
    // yet), "io_error" (a record of the tree does not decode), the log's and the store's.
    [[nodiscard]] result<report_table> compute(node& n, const report_params& p);

private:
    struct entry {
        std::mutex mutex;
        std::unique_ptr<report_facts> facts;
    };
    std::mutex mutex_;
    std::map<community_id, std::shared_ptr<entry>> entries_;
};

}  // namespace uurwerk

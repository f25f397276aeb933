#pragma once
// The coordinators' reports as a node computes them (api/README.md, "Reports"): at a
// community's latest signed checkpoint, over the leaves of its tree read from the log in order
// with their verdicts and log times, folded by the pure report_facts (ledger/core/report.h), the
// same fold `uurwerk audit report` runs over a verified export.
//
// The cache keeps each community's facts in memory at the tree size of the checkpoint they were
// last extended to: the first report after the node starts reads the whole tree (about 3 s a
// million events here), the next ones at the same checkpoint read nothing, and after a new
// checkpoint only its new leaves are read. refresh() does that reading ahead of any report: a
// serving node runs it for each community it checkpoints, on a thread of its own after each
// checkpoint interval (api/http/serve.h), so that reports find their facts ready. At most
// report_cache_communities_max communities' facts are kept (another one is forgotten, and read
// again when asked for). A checkpoint of a smaller tree than the facts (a node key's older one
// accepted later) starts them afresh.
//
// Threading: compute() may be called from any number of threads; one community's reports are
// computed one at a time (its facts are extended in place), different communities' at once.

#include <atomic>
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
    // The public impact page of `c` (api/README.md, "The public impact page") at its latest
    // checkpoint: the impact report of each range of impact_page_ranges(c, the checkpoint's
    // signed time), in that order. Kept with the facts for the checkpoint's tree size, so that
    // however many read the page, it is computed once a checkpoint. Errors: as compute's.
    struct impact_figures {
        std::string month;  // as impact_range's: "YYYY-MM", empty for the months together
        report_table table;
    };
    [[nodiscard]] result<std::vector<impact_figures>> impact_page(node& n, community_id c);
    // Extends `c`'s facts to its latest checkpoint (and keeps them) without computing a report;
    // nothing to do without a checkpoint. Errors: as compute's, but for "no_checkpoint".
    [[nodiscard]] result<void> refresh(node& n, community_id c);
    // Leaves read from the log into facts since the cache was made.
    std::uint64_t leaves_read() const { return leaves_read_.load(); }

private:
    struct entry {
        std::mutex mutex;
        std::unique_ptr<report_facts> facts;
        // The impact page at the checkpoint of tree size impact_at, if computed (a tree size is
        // one tree, whatever became of the facts since).
        std::vector<impact_figures> impact;
        std::uint64_t impact_at = 0;
    };
    // `c`'s latest checkpoint; "no_checkpoint" if it has none.
    [[nodiscard]] static result<checkpoint_record> latest(node& n, community_id c);
    // `c`'s facts extended to checkpoint `cp`, with their entry's mutex held by `lock`.
    [[nodiscard]] result<std::shared_ptr<entry>> extended(node& n, community_id c,
                                                          const checkpoint_record& cp,
                                                          std::unique_lock<std::mutex>& lock);
    std::mutex mutex_;
    std::map<community_id, std::shared_ptr<entry>> entries_;
    std::atomic<std::uint64_t> leaves_read_{0};
};

}  // namespace uurwerk

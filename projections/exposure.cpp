#include "projections/exposure.h"

#include <algorithm>

#include "ledger/core/fairness_knobs.h"

namespace uurwerk {

double position_weight(std::uint32_t rank, std::size_t k) {
    UURWERK_ASSERT(k > 0 && rank < k, rank, k);
    double total = 0;
    for (std::size_t i = 0; i < k; ++i) total += 1.0 / static_cast<double>(i + 1);
    return (1.0 / (rank + 1.0)) / total;
}

std::vector<double> relevance_shares(const fairness_knobs& knobs,
                                     const std::vector<fitting_offer>& offers) {
    std::vector<double> relevance;
    relevance.reserve(offers.size());
    for (const auto& o : offers) relevance.push_back(o.relevance);
    return shares_of_relevance(relevance, resolved(knobs).quality_floor_permille / 1000.0);
}

std::vector<double> shares_of_relevance(const std::vector<double>& relevance,
                                        double quality_floor) {
    std::vector<double> out(relevance.size(), 0);
    double best = 0;
    for (double r : relevance) best = std::max(best, r);
    double total = 0;
    for (double r : relevance)
        if (owed_relevance(r, best, quality_floor)) total += r;
    if (total <= 0) return out;
    for (std::size_t i = 0; i < relevance.size(); ++i)
        if (owed_relevance(relevance[i], best, quality_floor)) out[i] = relevance[i] / total;
    return out;
}

}  // namespace uurwerk

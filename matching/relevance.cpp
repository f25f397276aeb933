#include "matching/relevance.h"

#include <algorithm>
#include <bit>

namespace uurwerk {

double relevance(const open_post& request, const open_post& offer) {
    UURWERK_ASSERT(!request.is_offer && offer.is_offer);
    if (request.what != offer.what) return 0;
    double area = 0.4;
    if (request.area.empty() || offer.area.empty())
        area = 0.8;
    else if (request.area == offer.area)
        area = 1.0;
    double times = 1.0;
    if (request.availability != 0 && offer.availability != 0) {
        const double asked = std::popcount(request.availability);
        const double covered = std::popcount(request.availability & offer.availability);
        times = std::max(0.25, covered / asked);
    }
    double often = 0.8;
    if (request.how_often == offer.how_often)
        often = 1.0;
    else if (request.how_often == intensity::regularly && offer.how_often == intensity::once)
        often = 0.5;
    return area * times * often;
}

}  // namespace uurwerk

#include "matching/relevance.h"

#include "ledger/exposure.h"

namespace uurwerk {

double relevance(const open_post& request, const open_post& offer) {
    UURWERK_ASSERT(!request.is_offer && offer.is_offer);
    return fit({request.what, request.how_often, request.availability, request.area},
               {offer.what, offer.how_often, offer.availability, offer.area});
}

}  // namespace uurwerk

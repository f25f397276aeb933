// Relevance of an offer to a request (matching/relevance.h): category first, then area, times
// and how often.
#include <boost/test/unit_test.hpp>

#include "matching/relevance.h"

using namespace uurwerk;

namespace {

open_post post(bool offer, category what, std::string area, std::uint32_t times, intensity often) {
    open_post p;
    p.is_offer = offer;
    p.what = what;
    p.area = std::move(area);
    p.availability = times;
    p.how_often = often;
    return p;
}

}  // namespace

BOOST_AUTO_TEST_CASE(relevance_weighs_category_area_times_and_how_often) {
    const auto request = post(false, category::shopping, "3512", 0b0111, intensity::regularly);
    BOOST_CHECK_EQUAL(
        relevance(request, post(true, category::gardening, "3512", 0, intensity::regularly)), 0.0);
    BOOST_CHECK_CLOSE(
        relevance(request, post(true, category::shopping, "3512", 0, intensity::regularly)), 1.0,
        1e-9);
    BOOST_CHECK_CLOSE(
        relevance(request, post(true, category::shopping, "", 0, intensity::regularly)), 0.8, 1e-9);
    BOOST_CHECK_CLOSE(
        relevance(request, post(true, category::shopping, "1091", 0, intensity::regularly)), 0.4,
        1e-9);
    // Covers one of three asked slots: a third; none: the floor of a quarter.
    BOOST_CHECK_CLOSE(
        relevance(request, post(true, category::shopping, "3512", 0b0001, intensity::regularly)),
        1.0 / 3, 1e-9);
    BOOST_CHECK_CLOSE(
        relevance(request, post(true, category::shopping, "3512", 0b1000, intensity::regularly)),
        0.25, 1e-9);
    BOOST_CHECK_CLOSE(
        relevance(request, post(true, category::shopping, "3512", 0, intensity::once)), 0.5, 1e-9);
    BOOST_CHECK_CLOSE(
        relevance(request, post(true, category::shopping, "3512", 0, intensity::sometimes)), 0.8,
        1e-9);
}

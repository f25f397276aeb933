#pragma once
// Test support: a personal-data store opened in a folder (the test fails at once if it cannot
// be), and the text it holds under an event id and commitment, if any. For the tests of
// projections/personal_store.h; each store is the caller's, used from its thread.

#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "projections/personal_store.h"

namespace uurwerk::testing {

inline std::unique_ptr<personal_store> open_store(const std::filesystem::path& dir) {
    auto s = personal_store::open(dir);
    BOOST_REQUIRE(s.ok());
    return std::move(s).value();
}

inline std::optional<std::string> text_of(const personal_store& s, community_id c,
                                          const event_id& id, const digest& commitment) {
    auto t = s.get(c, id, commitment);
    BOOST_REQUIRE(t.ok());
    if (!*t) return std::nullopt;
    return (*t)->text;
}

}  // namespace uurwerk::testing

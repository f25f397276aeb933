// The error vocabulary (ledger/core/errors.h): every code has one name, distinct, non-empty and
// snake_case, and an error carries its code and prints by its name.

#include "ledger/core/errors.h"

#include <boost/test/unit_test.hpp>

#include <set>
#include <sstream>
#include <string>

#include "ledger/core/base.h"

using namespace uurwerk;

namespace {

bool snake_case(std::string_view s) {
    if (s.empty() || s.front() < 'a' || s.front() > 'z' || s.back() == '_') return false;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
        if (!ok || (c == '_' && s[i - 1] == '_')) return false;
    }
    return true;
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_code_has_one_distinct_snake_case_name) {
    std::set<std::string_view> seen;
    for (std::size_t i = 0; i < errc_count; ++i) {
        const auto n = name(static_cast<errc>(i));
        BOOST_CHECK_MESSAGE(snake_case(n), "code " << i << ": '" << n << "' is not snake_case");
        BOOST_CHECK_MESSAGE(seen.insert(n).second, "code " << i << ": '" << n << "' twice");
    }
    BOOST_CHECK_EQUAL(seen.size(), errc_count);
}

BOOST_AUTO_TEST_CASE(names_are_the_stable_ones) {
    // A sample of the names clients read (api/README.md, "Errors", lists them all).
    BOOST_CHECK_EQUAL(name(errc::bad_request), "bad_request");
    BOOST_CHECK_EQUAL(name(errc::bad_json), "bad_json");
    BOOST_CHECK_EQUAL(name(errc::founding_not_allowed), "founding_not_allowed");
    BOOST_CHECK_EQUAL(name(errc::unknown_member), "unknown_member");
    BOOST_CHECK_EQUAL(name(errc::log_unavailable), "log_unavailable");
    BOOST_CHECK_EQUAL(name(errc::apply_timeout), "apply_timeout");
    BOOST_CHECK_EQUAL(name(errc::bench_failed), "bench_failed");
}

BOOST_AUTO_TEST_CASE(an_error_carries_its_code_and_prints_its_name) {
    const result<int> r = make_error(errc::signer_revoked, "the key was revoked");
    BOOST_REQUIRE(!r.ok());
    BOOST_CHECK_EQUAL(r.err().code, errc::signer_revoked);
    BOOST_CHECK_EQUAL(r.err().message, "the key was revoked");
    std::ostringstream os;
    os << r.err().code;
    BOOST_CHECK_EQUAL(os.str(), "signer_revoked");
}

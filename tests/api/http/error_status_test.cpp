// The HTTP status of every error code (api/http/error_status.h), the error answers of the routes
// (api/http/route_support.h), and api/README.md's table of the codes, which must list every code
// once with the status the server answers.

#include "api/http/error_status.h"

#include <boost/test/unit_test.hpp>

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <string>

#include "api/http/route_support.h"

using namespace uurwerk;

namespace {

// The rows "| `code` | status | meaning |" of api/README.md.
std::map<std::string, unsigned> documented_statuses() {
    std::ifstream in(std::string(UURWERK_SOURCE_DIR) + "/api/README.md");
    BOOST_REQUIRE_MESSAGE(in, "cannot read api/README.md");
    const std::regex row(R"(^\| `([a-z][a-z0-9_]*)` \| ([0-9]{3}) \|.*)");
    std::map<std::string, unsigned> out;
    std::string line;
    while (std::getline(in, line)) {
        std::smatch m;
        if (!std::regex_match(line, m, row)) continue;
        BOOST_CHECK_MESSAGE(out.emplace(m[1], static_cast<unsigned>(std::stoul(m[2]))).second,
                            "api/README.md lists " << m[1] << " twice");
    }
    return out;
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_code_has_a_status_of_the_api) {
    const std::set<unsigned> used{400, 401, 403, 404, 405, 409, 410, 413, 429, 500, 503, 504};
    for (std::size_t i = 0; i < errc_count; ++i) {
        const auto c = static_cast<errc>(i);
        BOOST_CHECK_MESSAGE(used.contains(http_status_for(c)),
                            c << " has status " << http_status_for(c));
    }
}

BOOST_AUTO_TEST_CASE(statuses_of_a_sample_of_codes) {
    BOOST_CHECK_EQUAL(http_status_for(errc::bad_json), 400u);
    BOOST_CHECK_EQUAL(http_status_for(errc::bad_signature), 400u);
    BOOST_CHECK_EQUAL(http_status_for(errc::unknown_field), 400u);
    BOOST_CHECK_EQUAL(http_status_for(errc::ambiguous_kind), 400u);
    BOOST_CHECK_EQUAL(http_status_for(errc::founding_not_allowed), 403u);
    BOOST_CHECK_EQUAL(http_status_for(errc::signer_revoked), 403u);
    BOOST_CHECK_EQUAL(http_status_for(errc::unauthenticated), 401u);
    BOOST_CHECK_EQUAL(http_status_for(errc::forbidden), 403u);
    BOOST_CHECK_EQUAL(http_status_for(errc::unknown_community), 404u);
    BOOST_CHECK_EQUAL(http_status_for(errc::not_found), 404u);
    BOOST_CHECK_EQUAL(http_status_for(errc::method_not_allowed), 405u);
    BOOST_CHECK_EQUAL(http_status_for(errc::post_not_open), 409u);
    BOOST_CHECK_EQUAL(http_status_for(errc::node_key_not_announced), 409u);
    BOOST_CHECK_EQUAL(http_status_for(errc::beyond_tree), 409u);
    BOOST_CHECK_EQUAL(http_status_for(errc::event_too_large), 413u);
    BOOST_CHECK_EQUAL(http_status_for(errc::body_too_large), 413u);
    BOOST_CHECK_EQUAL(http_status_for(errc::internal_error), 500u);
    BOOST_CHECK_EQUAL(http_status_for(errc::log_unavailable), 503u);
    BOOST_CHECK_EQUAL(http_status_for(errc::io_error), 503u);
    BOOST_CHECK_EQUAL(http_status_for(errc::disk_full), 503u);
    BOOST_CHECK_EQUAL(http_status_for(errc::projector_failed), 503u);
    BOOST_CHECK_EQUAL(http_status_for(errc::apply_timeout), 504u);
    // An invitation: unknown id and wrong code answer alike; used; expired (gone for good).
    BOOST_CHECK_EQUAL(http_status_for(errc::invitation_unknown), 404u);
    BOOST_CHECK_EQUAL(http_status_for(errc::invitation_used), 409u);
    BOOST_CHECK_EQUAL(http_status_for(errc::invitation_expired), 410u);
}

BOOST_AUTO_TEST_CASE(the_readme_documents_every_code_with_its_status) {
    const auto documented = documented_statuses();
    for (std::size_t i = 0; i < errc_count; ++i) {
        const auto c = static_cast<errc>(i);
        auto it = documented.find(std::string(name(c)));
        if (it == documented.end()) {
            BOOST_ERROR("api/README.md does not list " << c);
            continue;
        }
        BOOST_CHECK_MESSAGE(it->second == http_status_for(c),
                            c << ": api/README.md says " << it->second << ", the server answers "
                              << http_status_for(c));
    }
    BOOST_CHECK_MESSAGE(documented.size() == errc_count, "api/README.md lists "
                                                             << documented.size()
                                                             << " codes, there are " << errc_count);
}

BOOST_AUTO_TEST_CASE(an_error_answer_has_the_codes_status_and_name) {
    const auto a = error_answer(make_error(errc::post_not_open, "the request is no longer open"));
    BOOST_CHECK_EQUAL(a.status, 409u);
    BOOST_CHECK_EQUAL(a.content_type, "application/json");
    BOOST_CHECK_EQUAL(
        a.body, R"({"error":{"code":"post_not_open","message":"the request is no longer open"}})");
    BOOST_CHECK_EQUAL(bad_request("no").status, 400u);
}

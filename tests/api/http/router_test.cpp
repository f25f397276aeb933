// The router's table through its public interface: a request reaches the one row whose method
// and pattern match, path parameters are checked before the handler runs, query parameters the
// route does not take are refused, a known path with another method is a 405 with Allow, and an
// unknown path a 404.

#include "api/http/router.h"

#include <boost/test/unit_test.hpp>

#include <optional>
#include <string>
#include <vector>

using namespace uurwerk;

namespace {

http_request req(std::string method, std::string target) {
    http_request r;
    r.method = std::move(method);
    r.target = std::move(target);
    return r;
}

std::string header(const http_response& r, std::string_view name) {
    for (const auto& [k, v] : r.headers)
        if (k == name) return v;
    return "";
}

// A gate that lets every request through (the access rules are tests/api/http/access_test.cpp's).
std::optional<http_response> pass_all(caller, const route_call&) {
    return std::nullopt;
}

// Each handler answers with what it saw, so a test can tell which row ran with which arguments.
router small_router() {
    const auto echo = [](std::string name) {
        return [name](const route_call& c) {
            return http_response{200,
                                 "text/plain",
                                 name + " c=" + std::to_string(c.args.community.value) + " m=" +
                                     std::to_string(c.args.member.value) + " i=" + c.args.text,
                                 {}};
        };
    };
    return router(
        {
            {http_method::get, "/", {}, caller::anyone, echo("home")},
            {http_method::get, "/v1/communities/{c}", {}, caller::anyone, echo("community")},
            {http_method::get,
             "/v1/communities/{c}/members/{m}/history",
             {"from", "limit"},
             caller::anyone,
             echo("history")},
            {http_method::get, "/v1/communities/{c}/checkpoints", {}, caller::anyone, echo("list")},
            {http_method::post,
             "/v1/communities/{c}/checkpoints",
             {},
             caller::anyone,
             echo("sign")},
            {http_method::post, "/v1/events", {}, caller::event_signer, echo("submit")},
            {http_method::get,
             "/v1/communities/{c}/leaves/{i}/proof",
             {},
             caller::anyone,
             echo("leaf")},
        },
        pass_all);
}

}  // namespace

BOOST_AUTO_TEST_CASE(a_request_reaches_its_row_with_its_parameters_read) {
    const auto r = small_router();
    BOOST_TEST(r.dispatch(req("GET", "/")).body == "home c=0 m=0 i=");
    BOOST_TEST(r.dispatch(req("GET", "/v1/communities/7")).body == "community c=7 m=0 i=");
    BOOST_TEST(r.dispatch(req("GET", "/v1/communities/7/members/42/history?limit=5")).body ==
               "history c=7 m=42 i=");
    BOOST_TEST(r.dispatch(req("GET", "/v1/communities/3/leaves/12/proof")).body ==
               "leaf c=3 m=0 i=12");
    // HEAD takes the GET row; one path, two methods, two rows.
    BOOST_TEST(r.dispatch(req("HEAD", "/v1/communities/7")).status == 200u);
    BOOST_TEST(r.dispatch(req("GET", "/v1/communities/1/checkpoints")).body.starts_with("list"));
    BOOST_TEST(r.dispatch(req("POST", "/v1/communities/1/checkpoints")).body.starts_with("sign"));
}

BOOST_AUTO_TEST_CASE(a_known_path_with_another_method_is_405_with_allow) {
    const auto r = small_router();
    auto a = r.dispatch(req("POST", "/v1/communities/7"));
    BOOST_TEST(a.status == 405u);
    BOOST_TEST(header(a, "Allow") == "GET, HEAD");
    BOOST_TEST(a.body.find("method_not_allowed") != std::string::npos);
    a = r.dispatch(req("GET", "/v1/events"));
    BOOST_TEST(a.status == 405u);
    BOOST_TEST(header(a, "Allow") == "POST");
    a = r.dispatch(req("DELETE", "/v1/communities/1/checkpoints"));
    BOOST_TEST(a.status == 405u);
    BOOST_TEST(header(a, "Allow") == "GET, HEAD, POST");
}

BOOST_AUTO_TEST_CASE(an_unknown_path_is_404_and_bad_parameters_are_400) {
    const auto r = small_router();
    auto a = r.dispatch(req("GET", "/v1/communities/7/nothing"));
    BOOST_TEST(a.status == 404u);
    BOOST_TEST(a.body.find("\"not_found\"") != std::string::npos);
    BOOST_TEST(r.dispatch(req("GET", "/v2/communities/7")).status == 404u);
    // A community id that is not a number, a member id that overflows.
    BOOST_TEST(r.dispatch(req("GET", "/v1/communities/x")).status == 400u);
    BOOST_TEST(
        r.dispatch(req("GET", "/v1/communities/1/members/99999999999999999999/history")).status ==
        400u);
    // A query parameter the route does not take; one it does.
    BOOST_TEST(r.dispatch(req("GET", "/v1/communities/7?limit=3")).status == 400u);
    BOOST_TEST(r.dispatch(req("GET", "/v1/communities/7/members/1/history?from=3")).status == 200u);
}

BOOST_AUTO_TEST_CASE(query_checks_come_before_the_handler_runs) {
    bool ran = false;
    const router r({{http_method::get,
                     "/x/{c}",
                     {"limit"},
                     caller::anyone,
                     [&ran](const route_call&) {
                         ran = true;
                         return http_response{200, "text/plain", "", {}};
                     }}},
                   pass_all);
    BOOST_TEST(r.dispatch(req("GET", "/x/1?other=2")).status == 400u);
    BOOST_TEST(r.dispatch(req("GET", "/x/nope")).status == 400u);
    BOOST_TEST(!ran);
    BOOST_TEST(r.dispatch(req("GET", "/x/1?limit=2")).status == 200u);
    BOOST_TEST(ran);
}

BOOST_AUTO_TEST_CASE(
    a_row_not_for_anyone_passes_the_gate_after_its_parameters_and_before_its_handler) {
    std::vector<std::pair<caller, std::uint64_t>> asked;
    bool ran = false;
    const auto handler = [&ran](const route_call&) {
        ran = true;
        return http_response{200, "text/plain", "", {}};
    };
    const router r({{http_method::get, "/open/{c}", {}, caller::anyone, handler},
                    {http_method::get, "/x/{c}/members/{m}", {}, caller::self, handler}},
                   [&asked](caller who, const route_call& call) -> std::optional<http_response> {
                       asked.emplace_back(who, call.args.member.value);
                       return http_response{401, "application/json", "{}", {}};
                   });
    BOOST_TEST(r.dispatch(req("GET", "/x/1/members/nope")).status == 400u);  // before the gate
    BOOST_TEST(asked.empty());
    BOOST_TEST(r.dispatch(req("GET", "/x/1/members/5")).status == 401u);
    BOOST_TEST(!ran);
    BOOST_REQUIRE(asked.size() == 1u);
    BOOST_TEST((asked[0].first == caller::self && asked[0].second == 5u));
    BOOST_TEST(r.dispatch(req("GET", "/open/1")).status == 200u);  // anyone: no gate
    BOOST_TEST(asked.size() == 1u);
}

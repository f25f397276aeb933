// `uurwerk bench fairness --grid`, run tiny (2 cells of 60 members over 4 days): a JSON line per
// cell with the command that re-runs it, and a summary whose counts are the lines' own. The
// figures of such a town say nothing; what is checked is that the grid reports what it ran.

#include <boost/test/unit_test.hpp>

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "api/json/json_read.h"
#include "tests/support/run_command.h"

using namespace uurwerk;
using uurwerk::testing::run_command;

namespace {

// The lines of `out` (standard output and error together) that start with `prefix`.
std::vector<std::string> lines_starting(const std::string& out, const std::string& prefix) {
    std::vector<std::string> found;
    std::istringstream in(out);
    for (std::string line; std::getline(in, line);)
        if (line.rfind(prefix, 0) == 0) found.push_back(line);
    return found;
}

json_doc parsed(const std::string& line) {
    auto doc = json_doc::parse(line);
    BOOST_REQUIRE_MESSAGE(doc.ok(), line);
    return std::move(*doc);
}

double number(const json_value& v, const std::string& key) {
    const auto* at = v.at(key);
    BOOST_REQUIRE_MESSAGE(at && at->as_number(), key << " missing");
    return *at->as_number();
}

std::string state(const json_value& cell, const std::string& goal) {
    const auto* goals = cell.at("goals");
    BOOST_REQUIRE(goals);
    const auto* g = goals->at(goal);
    BOOST_REQUIRE_MESSAGE(g && g->as_string(), goal << " missing");
    return *g->as_string();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(bench_fairness_grid)

BOOST_AUTO_TEST_CASE(a_tiny_grid_prints_its_cells_and_a_summary_that_agrees_with_them) {
    auto r = run_command({UURWERK_BINARY, "bench", "fairness", "--grid", "--grid-cells", "2",
                          "--members", "60", "--days", "4", "--areas", "2"});
    BOOST_TEST_MESSAGE(r.out);
    BOOST_REQUIRE_EQUAL(r.exit_code, 0);
    const auto cells = lines_starting(r.out, "{\"cell\": ");
    BOOST_REQUIRE_EQUAL(cells.size(), 2u);
    const auto summaries = lines_starting(r.out, "{\"summary\": ");
    BOOST_REQUIRE_EQUAL(summaries.size(), 1u);

    std::vector<json_doc> docs;
    for (std::size_t i = 0; i < cells.size(); ++i) {
        docs.push_back(parsed(cells[i]));
        const auto& c = docs.back().root();
        BOOST_CHECK_EQUAL(number(c, "cell"), static_cast<double>(i + 1));
        // The pinned axis and the passed-on flag are in every command; the seed turns fastest.
        const auto command = c.at("command")->as_string().value_or("");
        BOOST_CHECK(command.rfind("uurwerk bench fairness --members 60 --days 4 ", 0) == 0);
        BOOST_CHECK(command.find(" --areas 2") != std::string::npos);
        BOOST_CHECK(command.find(" --seed " + std::to_string(i + 1)) != std::string::npos);
        BOOST_CHECK_EQUAL(number(c, "members"), 60);
        BOOST_CHECK_EQUAL(number(c, "seed"), static_cast<double>(i + 1));
        // The goals are judged on the figures printed beside them.
        const auto& on = *c.at("on");
        const auto& off = *c.at("off");
        BOOST_CHECK_EQUAL(state(c, "starvation_lt_5pct"),
                          number(on, "starved_all_offers_share") < 0.05 ? "held" : "failed");
        BOOST_CHECK_EQUAL(state(c, "unfairness_le_0.15"),
                          number(on, "unfairness_matches") <= 0.15 ? "held" : "failed");
        BOOST_CHECK_EQUAL(
            state(c, "no_request_past_wait_bound"),
            number(on, "requests_past_bound_with_free_helper") == 0 ? "held" : "failed");
        BOOST_CHECK_EQUAL(state(c, "p90_time_to_match_le_1.1x_off") == "n/a",
                          c.at("off_backlogs")->as_bool().value_or(false));
        BOOST_CHECK_EQUAL(state(c, "p90_time_to_match_le_1.1x_off") == "n/a",
                          number(off, "requests_never_matched_share") > 0.10);
        // Chance is judged on the chance figures of the same line.
        const auto* chance_goals = c.at("chance_goals");
        BOOST_REQUIRE(chance_goals);
        BOOST_CHECK(chance_goals->at("unfairness_le_0.15")->as_string() ==
                    std::optional<std::string>(
                        number(*c.at("chance"), "unfairness_matches") <= 0.15 ? "held" : "failed"));
        // The floors are judged on the floors of the same line, and never exceed what they bound
        // (the run's own matches are one handing out of them).
        const auto* floor_goals = c.at("floor_goals");
        BOOST_REQUIRE(floor_goals);
        BOOST_CHECK(floor_goals->at("starvation_lt_5pct")->as_string() ==
                    std::optional<std::string>(
                        number(on, "starved_all_offers_floor") < 0.05 ? "held" : "failed"));
        BOOST_CHECK(floor_goals->at("unfairness_le_0.15")->as_string() ==
                    std::optional<std::string>(
                        number(on, "unfairness_matches_floor") <= 0.15 ? "held" : "failed"));
        BOOST_CHECK_LE(number(on, "starved_all_offers_floor"),
                       number(on, "starved_all_offers_share"));
        BOOST_CHECK_LE(number(on, "unfairness_matches_floor"), number(on, "unfairness_matches"));
        // The kept bound: judged against off's helpers kept, never below on's own (on kept them
        // with its matches), never above the helpers who offered.
        BOOST_CHECK(floor_goals->at("helpers_kept_ge_1.5x_off")->as_string() ==
                    std::optional<std::string>(number(on, "helpers_kept_bound") >=
                                                       1.5 * number(off, "helpers_active_at_end")
                                                   ? "held"
                                                   : "failed"));
        BOOST_CHECK_GE(number(on, "helpers_kept_bound"), number(on, "helpers_active_at_end"));
        BOOST_CHECK_LE(number(on, "helpers_kept_bound"), number(on, "helpers_offered"));
        // Chance judges "at most half of off" on its own figure.
        BOOST_CHECK(chance_goals->at("unfairness_le_half_of_off")->as_string() ==
                    std::optional<std::string>(number(*c.at("chance"), "unfairness_matches") <=
                                                       0.5 * number(off, "unfairness_matches")
                                                   ? "held"
                                                   : "failed"));
    }

    // Per goal: held + failed + not applicable = the cells, each count and the failed cells
    // exactly those of the lines.
    const auto summary = parsed(summaries[0]);
    const auto* s = summary.root().at("summary");
    BOOST_REQUIRE(s);
    BOOST_CHECK_EQUAL(number(*s, "cells"), 2);
    const auto* goals = s->at("goals");
    BOOST_REQUIRE(goals);
    const auto* first_goals = docs[0].root().at("goals");
    BOOST_REQUIRE(first_goals);
    std::size_t goal_count = 0;
    for (const auto& [goal, verdicts] :
         *std::get<std::shared_ptr<json_value::object>>(first_goals->v)) {
        ++goal_count;
        BOOST_TEST_CONTEXT(goal) {
            std::map<std::string, double> counted;
            std::vector<double> failed_cells;
            for (std::size_t i = 0; i < docs.size(); ++i) {
                const auto st = state(docs[i].root(), goal);
                ++counted[st];
                if (st == "failed") failed_cells.push_back(static_cast<double>(i + 1));
            }
            const auto* g = goals->at(goal);
            BOOST_REQUIRE(g);
            BOOST_CHECK_EQUAL(number(*g, "held"), counted["held"]);
            BOOST_CHECK_EQUAL(number(*g, "failed"), counted["failed"]);
            BOOST_CHECK_EQUAL(number(*g, "not_applicable"), counted["n/a"]);
            BOOST_CHECK_EQUAL(
                number(*g, "held") + number(*g, "failed") + number(*g, "not_applicable"), 2);
            std::vector<double> listed;
            for (const auto& v : *g->at("failed_cells")->as_array())
                listed.push_back(v.as_number().value_or(-1));
            BOOST_CHECK(listed == failed_cells);
            // Of the failed cells: those where chance or the bound fails too, and the rest,
            // counted from the lines' own verdicts, for the goals each judges.
            // (A structured binding is not captured by clang 14's lambdas: a copy of its name.)
            const std::string name = goal;
            auto judged_failed = [&](const json_doc& d, const char* by) {
                const auto* judged = d.root().at(by);
                const auto* v = judged ? judged->at(name) : nullptr;
                return v && v->as_string() == std::optional<std::string>("failed");
            };
            auto judges = [&](const char* by) { return docs[0].root().at(by)->at(name); };
            double chance_too = 0, bound_too = 0;
            std::vector<double> neither;
            for (std::size_t i = 0; i < docs.size(); ++i) {
                if (state(docs[i].root(), goal) != "failed") continue;
                chance_too += judged_failed(docs[i], "chance_goals");
                bound_too += judged_failed(docs[i], "floor_goals");
                if (!judged_failed(docs[i], "chance_goals") &&
                    !judged_failed(docs[i], "floor_goals"))
                    neither.push_back(static_cast<double>(i + 1));
            }
            if (judges("chance_goals"))
                BOOST_CHECK_EQUAL(number(*g, "failed_where_chance_fails_too"), chance_too);
            if (judges("floor_goals"))
                BOOST_CHECK_EQUAL(number(*g, "failed_where_the_bound_fails_too"), bound_too);
            if (judges("chance_goals") || judges("floor_goals")) {
                std::vector<double> listed_neither;
                for (const auto& v : *g->at("failed_where_neither_does")->as_array())
                    listed_neither.push_back(v.as_number().value_or(-1));
                BOOST_CHECK(listed_neither == neither);
            } else {
                BOOST_CHECK(!g->at("failed_where_neither_does"));
            }
        }
    }
    BOOST_CHECK_EQUAL(goal_count, 8u);
    BOOST_CHECK_EQUAL(std::get<std::shared_ptr<json_value::object>>(goals->v)->size(), 8u);

    // The second cell's command, run alone, gives the same figures to the byte.
    const auto command = docs[1].root().at("command")->as_string().value_or("");
    std::vector<std::string> argv{UURWERK_BINARY};
    std::istringstream words(command.substr(std::string("uurwerk").size()));
    for (std::string w; words >> w;) argv.push_back(w);
    auto again = run_command(argv);
    BOOST_REQUIRE_EQUAL(again.exit_code, 0);
    const auto alone = lines_starting(again.out, "{\"seed\": ");
    BOOST_REQUIRE_EQUAL(alone.size(), 1u);
    const std::string head = "{\"cell\": 2, \"command\": \"" + command + "\", ";
    BOOST_REQUIRE(cells[1].rfind(head, 0) == 0);
    BOOST_CHECK_EQUAL(cells[1].substr(head.size()), alone[0].substr(1));
}

BOOST_AUTO_TEST_CASE(the_grid_refuses_what_it_cannot_honour) {
    for (const auto& extra : std::vector<std::vector<std::string>>{
             {"--fairness", "on"}, {"--helpers-out", "/tmp/x.tsv"}, {"--grid-cells", "0"}}) {
        std::vector<std::string> argv{UURWERK_BINARY, "bench", "fairness", "--grid",
                                      "--members",    "60",    "--days",   "2"};
        argv.insert(argv.end(), extra.begin(), extra.end());
        auto r = run_command(argv);
        BOOST_CHECK_NE(r.exit_code, 0);
        BOOST_CHECK(r.out.find("{\"cell\"") == std::string::npos);
    }
}

BOOST_AUTO_TEST_SUITE_END()

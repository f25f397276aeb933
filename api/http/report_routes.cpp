#include "api/http/report_routes.h"

#include "api/json/json.h"
#include "projections/query.h"

namespace uurwerk::report_routes {

http_response report(report_cache& cache, node& n, community_id c, std::string_view name,
                     const target_parts& t) {
    const auto kind = report_from_name(name);
    if (!kind)
        return error_answer(errc::unknown_report, "no report '" + std::string(name) +
                                                      "'; the reports are " + report_names());
    bool csv = true;
    if (auto it = t.query.find("format"); it != t.query.end()) {
        if (it->second == "json")
            csv = false;
        else if (it->second != "csv")
            return error_answer(errc::bad_report_format, "format is csv or json");
    }
    auto from = decimal_query(t, "from_ms");
    auto to = decimal_query(t, "to_ms");
    auto days = decimal_query(t, "days");
    if (!from) return error_answer(from.err());
    if (!to) return error_answer(to.err());
    if (!days) return error_answer(days.err());
    auto params = check_report_params(*kind, c, *from, *to, *days);
    if (!params) return error_answer(params.err());
    auto table = cache.compute(n, *params);
    if (!table) return error_answer(table.err());
    http_response r = csv ? http_response{200, "text/csv; charset=utf-8", report_csv(*table), {}}
                          : json_answer(200, report_json(*table));
    // Member numbers only, but a coordinator's view of everyone's exchanges: no shared cache.
    r.headers.emplace_back("Cache-Control", "no-store");
    r.headers.emplace_back("X-Uurwerk-Tree-Size", std::to_string(table->at.tree_size));
    r.headers.emplace_back("X-Uurwerk-Root", table->at.root.hex());
    return r;
}

http_response impact_page(report_cache& cache, node& n, community_id c) {
    auto info = query::community(n.folder(c), c);
    if (!info) return error_answer(info.err());
    if (info->rules.public_impact != impact_page::open)
        return error_answer(errc::impact_not_public,
                            "the coordinators of community " + std::to_string(c.value) +
                                " have not made its impact figures public (policy public_impact)");
    auto page = cache.impact_page(n, c);
    if (!page) return error_answer(page.err());
    UURWERK_ASSERT(!page->empty(), c.value);
    const auto figures = [](json_writer& out, const report_table& t) {
        UURWERK_ASSERT(t.rows.size() == 1 && t.rows[0].size() == t.columns.size(), t.rows.size());
        out.key("from_ms").number(t.params.from.value);
        out.key("to_ms").number(t.params.to.value);
        for (std::size_t i = 0; i < t.columns.size(); ++i)
            out.key(t.columns[i]).number(std::get<std::int64_t>(t.rows[0][i]));
    };
    const auto& at = page->front().table.at;
    json_writer w;
    w.begin_object();
    w.key("community").decimal(c.value);
    w.key("name").string(info->name);
    w.key("checkpoint").begin_object();
    w.key("tree_size").number(static_cast<std::int64_t>(at.tree_size));
    w.key("root").string(at.root.hex());
    w.end_object();
    w.key("months").begin_array();
    for (const auto& f : *page) {
        if (f.month.empty()) continue;
        w.begin_object();
        w.key("month").string(f.month);
        figures(w, f.table);
        w.end_object();
    }
    w.end_array();
    w.key("total").begin_object();
    figures(w, page->back().table);
    w.end_object();
    w.end_object();
    http_response r = json_answer(200, w.take());
    // The same for everyone, and the same until the next checkpoint.
    r.headers.emplace_back("Cache-Control", "public, max-age=60");
    r.headers.emplace_back("X-Uurwerk-Tree-Size", std::to_string(at.tree_size));
    r.headers.emplace_back("X-Uurwerk-Root", at.root.hex());
    return r;
}

}  // namespace uurwerk::report_routes

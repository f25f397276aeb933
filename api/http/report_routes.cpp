#include "api/http/report_routes.h"

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

}  // namespace uurwerk::report_routes

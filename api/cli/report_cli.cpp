#include "api/cli/report_cli.h"

#include <fstream>
#include <iostream>

#include "api/cli/cli_http.h"

namespace uurwerk::cli {

std::vector<option_spec> report_option_specs() {
    return {
        {"community", "ID", "the community", true},
        {"key", "FILE", "your key file, to sign in (a coordinator's or an auditor's)"},
        {"from-ms", "TIME", "the range's start, log time in ms since 1970 (inclusive)"},
        {"to-ms", "TIME", "the range's end (exclusive); at most five years after --from-ms"},
        {"days", "N", "inactive: members with no event of their own for N days before --to-ms"},
        {"format", "csv|json", "csv (the default) or json"},
        {"out", "FILE", "write the report there instead of printing it"},
        {"server", "URL",
         std::string("the uurwerk server (default ") + default_server + ", or $UURWERK_SERVER)"},
        ca_file_option(),
    };
}

result<report_params> report_args(const parsed_args& a, std::size_t at, community_id c) {
    if (a.positionals().size() <= at)
        return make_error(errc::missing_argument, "which report? one of: " + report_names());
    const auto& name = a.positionals()[at];
    const auto kind = report_from_name(name);
    if (!kind)
        return make_error(errc::unknown_report,
                          "no report '" + name + "'; the reports are " + report_names());
    std::optional<std::uint64_t> from, to, days;
    for (auto [flag, slot] : {std::pair{"from-ms", &from}, {"to-ms", &to}, {"days", &days}}) {
        if (!a.has(flag)) continue;
        auto v = a.get_u64(flag);
        if (!v) return v.err();
        *slot = *v;
    }
    return check_report_params(*kind, c, from, to, days);
}

result<bool> report_csv_format(const parsed_args& a) {
    const auto f = a.get("format").value_or("csv");
    if (f != "csv" && f != "json")
        return make_error(errc::bad_report_format, "--format is csv or json");
    return f == "csv";
}

result<void> report_command(const parsed_args& a) {
    auto cid = a.get_u64("community");
    if (!cid) return cid.err();
    const community_id c{*cid};
    auto p = report_args(a, 0, c);
    if (!p) return p.err();
    auto csv = report_csv_format(a);
    if (!csv) return csv.err();
    auto server = server_of(a);
    if (!server) return server.err();
    auto session = session_of(a, c);
    if (!session) return session.err();
    std::string target = "/v1/communities/" + std::to_string(c.value) + "/reports/" +
                         std::string(report_name(p->kind)) +
                         "?from_ms=" + std::to_string(p->from.value) +
                         "&to_ms=" + std::to_string(p->to.value);
    if (p->kind == report_kind::inactive) target += "&days=" + std::to_string(p->days);
    target += *csv ? "&format=csv" : "&format=json";
    auto body = get_body(*server, target, *session);
    if (!body) return body.err();
    if (auto out = a.get("out")) {
        std::ofstream f(*out, std::ios::binary | std::ios::trunc);
        f.write(body->data(), static_cast<std::streamsize>(body->size()));
        if (!f.flush()) return make_error(errc::io_error, "cannot write " + *out);
        return ok_value;
    }
    std::cout.write(body->data(), static_cast<std::streamsize>(body->size()));
    std::cout.flush();
    return ok_value;
}

}  // namespace uurwerk::cli

#pragma once
// `uurwerk report NAME --community C --from-ms T --to-ms T [--days N] [--format csv|json]`: a
// coordinator's (or an auditor's) report from the server, printed (or written to --out) byte for
// byte as GET /v1/communities/{c}/reports/{name} serves it; and the report arguments that
// `uurwerk audit report` shares (api/cli/audit_cli.cpp).

#include <vector>

#include "api/args/cli_args.h"
#include "ledger/core/report.h"

namespace uurwerk::cli {

std::vector<option_spec> report_option_specs();
// The report named by positional `at` and the range options, checked as the server checks
// them (ledger/core/report.h: check_report_params). Errors: missing_argument, unknown_report,
// bad_report_range.
[[nodiscard]] result<report_params> report_args(const parsed_args& a, std::size_t at,
                                                community_id c);
// --format: true for csv (the default), false for json. Errors: bad_report_format.
[[nodiscard]] result<bool> report_csv_format(const parsed_args& a);
[[nodiscard]] result<void> report_command(const parsed_args& a);

}  // namespace uurwerk::cli

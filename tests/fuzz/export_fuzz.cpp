// A libFuzzer target for the audit export reader and the offline audit (ledger/core/audit.h):
// what `uurwerk audit verify` runs on a file from anyone. Built with -DUURWERK_FUZZ=ON (see
// json_fuzz.cpp); seeds in tests/fuzz/corpus/export/ (exports of a workload's log).
//
// What must hold, besides no crash and no sanitizer report:
//   - parse_export refuses with bad_export and a message, or accepts a file that its writer
//     (append_export_header, append_export_record) writes again byte for byte;
//   - verify_export (one thread, no trusted node key, the unverified tail reported) on what
//     parses: a failing report names its problem; a passing one has no problem, counts every
//     record once as accepted or rejected, all of them as the unverified tail, and its
//     balances (members and fund) sum to zero.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "ledger/core/audit.h"

using namespace uurwerk;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto parsed = parse_export(byte_view(data, size));
    if (!parsed) {
        UURWERK_ASSERT(parsed.err().code == errc::bad_export, name(parsed.err().code));
        UURWERK_ASSERT(!parsed.err().message.empty());
        return 0;
    }
    std::string again;
    append_export_header(again, parsed->community);
    for (const auto& r : parsed->records) append_export_record(again, r);
    // Compared as bytes: std::string holds (signed) chars.
    UURWERK_ASSERT(again.size() == size && std::memcmp(again.data(), data, size) == 0,
                   "an export that parses is written again as it was");

    audit_options options;
    options.tail = unverified_tail::report;
    options.threads = 1;
    const auto report = verify_export(*parsed, options);
    if (!report.ok) {
        UURWERK_ASSERT(!report.problem.empty(), "a failing audit names its problem");
        return 0;
    }
    UURWERK_ASSERT(report.problem.empty());
    UURWERK_ASSERT(report.records == parsed->records.size());
    UURWERK_ASSERT(report.accepted + report.rejected == report.records);
    UURWERK_ASSERT(report.tail_records == report.records, "no trusted key: all is tail");
    UURWERK_ASSERT(report.balance_sum.value == 0, "balances sum to zero");
    return 0;
}

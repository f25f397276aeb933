#include "api/bench/bench_reports.h"

#include "api/bench/bench_support.h"
#include "api/http/http_client.h"
#include "api/node/reports.h"
#include "ledger/core/report.h"

namespace uurwerk::cli {

result<void> bench_reports(const parsed_args& a) {
    auto events = u64_option(a, "events", 1'000'000, 1000);
    if (!events) return events.err();
    auto rounds = u64_option(a, "rounds", 3, 1, 100);
    if (!rounds) return rounds.err();
    auto node_key = bench_node_key();
    if (!node_key) return node_key.err();
    const auto log = make_checkpointed_log(*events, *node_key, "reports");
    scratch_dir dir("reports");
    auto server = serve_checkpointed_log(log, dir.path, "reports");
    if (!server) return server.err();
    node& n = (*server)->node();
    const community_id c{1};
    // The log's clock stood still at checkpointed_log_time: a range of 30 days up to a day
    // after it holds every event.
    const std::int64_t from_ms = checkpointed_log_time.value - 30 * report_day_ms;
    const std::int64_t to_ms = checkpointed_log_time.value + report_day_ms;
    const auto params_of = [&](report_kind k) {
        auto p = check_report_params(
            k, c, static_cast<std::uint64_t>(from_ms), static_cast<std::uint64_t>(to_ms),
            k == report_kind::inactive ? std::optional<std::uint64_t>(30) : std::nullopt);
        UURWERK_ASSERT(p.ok(), static_cast<int>(k));
        return *p;
    };
    http_call_options as_founder;
    as_founder.authorization =
        session_header(workload_member_key(log.options.seed, 0), c, member_id{1});
    auto conn = http_connection::open("127.0.0.1", (*server)->port(), as_founder);
    if (!conn) return conn.err();

    // Cold: after a start the whole tree is read into the facts, by the server's refresher in
    // the background (api/http/serve.h), or by the first report if it comes before.
    report_cache cache;
    std::cerr << "bench reports: reading the tree into the report facts (refresh)...\n";
    auto t_cold = clock_type::now();
    if (auto first = cache.refresh(n, c); !first) return first.err();
    const double cold_s = seconds_since(t_cold);
    std::cerr << "  " << fixed(cold_s, 3) << " s\n";

    // Through HTTP, the server's own cache: its first report reads the tree too.
    const auto through_http = [&](report_kind kind) -> result<std::string> {
        auto r = (*conn)->call(
            "GET", "/v1/communities/1/reports/" + std::string(report_name(kind)) +
                       "?from_ms=" + std::to_string(from_ms) + "&to_ms=" + std::to_string(to_ms) +
                       (kind == report_kind::inactive ? "&days=30" : ""));
        if (!r) return r.err();
        if (r->status != 200)
            return make_error(errc::bench_failed, std::string(report_name(kind)) + " answered " +
                                                      std::to_string(r->status));
        return std::move(r->body);
    };
    t_cold = clock_type::now();
    if (auto first = through_http(report_kind::impact); !first) return first.err();
    const double cold_http_s = seconds_since(t_cold);
    std::cerr << "  through HTTP: " << fixed(cold_http_s, 3) << " s\n";

    struct figure {
        std::string_view name;
        double best_s = 0, median_s = 0, http_s = 0;
        std::size_t rows = 0, csv_bytes = 0;
        std::string csv = {};
    };
    std::vector<figure> figures;
    std::uint64_t tree_size = 0;
    for (std::size_t k = 0; k < report_kind_count; ++k) {
        const auto kind = static_cast<report_kind>(k);
        figure f{report_name(kind)};
        std::cerr << "bench reports: " << f.name
                  << " at the latest checkpoint, from the facts...\n";
        latencies took;
        for (std::uint64_t r = 0; r < *rounds; ++r) {
            const auto t0 = clock_type::now();
            auto table = cache.compute(n, params_of(kind));
            took.ms.push_back(seconds_since(t0) * 1000);
            if (!table) return table.err();
            f.rows = table->rows.size();
            f.csv = report_csv(*table);
            tree_size = table->at.tree_size;
        }
        f.best_s = took.quantile(0) / 1000;
        f.median_s = took.quantile(0.5) / 1000;
        f.csv_bytes = f.csv.size();
        const auto t0 = clock_type::now();
        auto body = through_http(kind);
        f.http_s = seconds_since(t0);
        if (!body) return body.err();
        if (*body != f.csv)
            return make_error(errc::bench_failed,
                              std::string(f.name) + ": the route answered other bytes");
        std::cerr << "  " << f.rows << " rows, " << f.csv_bytes << " bytes of CSV: best "
                  << fixed(f.best_s, 3) << " s, median " << fixed(f.median_s, 3)
                  << " s; through HTTP " << fixed(f.http_s, 3) << " s\n";
        figures.push_back(std::move(f));
    }

    // Offline: the export as `audit export` writes it (the node's records, offsets and times).
    std::string file;
    append_export_header(file, c);
    for (std::size_t i = 0; i < log.records.size(); ++i)
        append_export_record(file, export_record{offset{i}, checkpointed_log_time,
                                                 reject_reason::none, log.records[i]});
    auto parsed =
        parse_export(byte_view(reinterpret_cast<const std::uint8_t*>(file.data()), file.size()));
    if (!parsed) return parsed.err();
    const std::set<public_key> trusted{node_key->public_bytes()};
    std::cerr << "bench reports: offline, the export verified on " << cores()
              << " cores and every report recomputed...\n";
    auto t0 = clock_type::now();
    audit_options ao;
    ao.trusted_node_keys = trusted;
    const auto verified = verify_export(*parsed, ao);
    if (!verified.ok)
        return make_error(errc::bench_failed, "the audit failed: " + verified.problem);
    const double verify_s = seconds_since(t0);
    t0 = clock_type::now();
    for (const auto& f : figures) {
        auto table = report_of_export(*parsed, trusted, params_of(*report_from_name(f.name)));
        if (!table) return table.err();
        if (report_csv(*table) != f.csv)
            return make_error(errc::bench_failed,
                              std::string(f.name) + ": offline, other bytes than the node's");
    }
    const double folds_s = seconds_since(t0);
    const double records = static_cast<double>(parsed->records.size());
    const double offline_rate = records / (verify_s + folds_s / report_kind_count);
    const double fold_rate = records * report_kind_count / folds_s;
    std::cerr << "  verified " << parsed->records.size() << " events in " << fixed(verify_s, 2)
              << " s; the " << report_kind_count << " reports' folds in " << fixed(folds_s, 2)
              << " s (" << fixed(fold_rate, 0) << " events/s a report); one report verified "
              << "and recomputed: " << fixed(offline_rate, 0) << " events/s\n";

    std::cout << "reports at the checkpoint of " << tree_size << " events: the tree read into the "
              << "facts in " << fixed(cold_s, 3) << " s (after a start); then (median of "
              << *rounds << "):";
    for (const auto& f : figures)
        std::cout << " " << f.name << " " << fixed(f.median_s, 3) << " s;";
    std::cout << " offline: " << fixed(offline_rate, 0) << " events/s verified and recomputed, "
              << fixed(fold_rate, 0) << " events/s the fold alone\n";
    std::cout << "{\"cores\": " << cores() << ", \"tree_size\": " << tree_size
              << ", \"cold_s\": " << fixed(cold_s, 3)
              << ", \"cold_http_s\": " << fixed(cold_http_s, 3);
    for (const auto& f : figures)
        std::cout << ", \"" << f.name << "_s\": " << fixed(f.median_s, 3) << ", \"" << f.name
                  << "_best_s\": " << fixed(f.best_s, 3) << ", \"" << f.name
                  << "_http_s\": " << fixed(f.http_s, 3) << ", \"" << f.name
                  << "_rows\": " << f.rows;
    std::cout << ", \"offline_verify_s\": " << fixed(verify_s, 2)
              << ", \"offline_events_per_s\": " << fixed(offline_rate, 0)
              << ", \"fold_events_per_s\": " << fixed(fold_rate, 0) << "}\n";
    return ok_value;
}

}  // namespace uurwerk::cli

#pragma once
// The coordinators' reports (issue 25, point 2), pure: one fold over a community's log leaves
// in tree order (each with the node's verdict and the log's time), up to the tree size of a
// signed checkpoint, and the time range and parameters as arguments. No I/O, no clock. The node
// (api/node/reports.h) feeds it the leaves of its latest checkpoint from its log; the offline
// `uurwerk audit report` feeds it the records of a verified export: the same fold over the same
// leaves gives the same table, and the same CSV bytes.
//
// Only accepted events count; the log holds no personal data, so a report holds member numbers,
// event ids, minutes, categories and log times, never a name or a contact detail (a member who
// left is a number like any other). What each report means: api/README.md, "Reports".
//
// Threading: a report_facts is a value used by one thread at a time; the free functions are
// pure and safe from any thread.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <variant>
#include <vector>

#include "ledger/core/audit.h"
#include "ledger/core/base.h"
#include "ledger/core/event.h"
#include "ledger/core/rules.h"

namespace uurwerk {

enum class report_kind : std::uint8_t {
    hours,         // minutes given and received per month, member and category
    transactions,  // every confirmed claim, transfer and reversal
    inactive,      // members with no event of their own for `days` days before to_ms
    unanswered,    // requests posted in the range, still open at to_ms, never answered
    unproposed,    // offers posted in the range, still open at to_ms, never proposed
    impact,        // matches made, minutes given, active helpers, people helped
};
inline constexpr std::size_t report_kind_count = 6;

// "hours", "transactions", ... (as the route and the CLI name them); and back.
[[nodiscard]] std::string_view report_name(report_kind k);
[[nodiscard]] std::optional<report_kind> report_from_name(std::string_view name);
// Every name, comma-separated, for error messages and help.
[[nodiscard]] std::string report_names();

// The widest range a report covers: five years (of 366 days), so that a mistyped bound is an
// error and not a scan of everything since 1970.
inline constexpr std::int64_t report_range_ms_max = std::int64_t{5} * 366 * 24 * 3600 * 1000;
inline constexpr std::uint32_t inactive_days_max = 5 * 366;
inline constexpr std::int64_t report_day_ms = std::int64_t{24} * 3600 * 1000;

struct report_params {
    report_kind kind = report_kind::hours;
    community_id community;
    time_ms from;            // log time, inclusive
    time_ms to;              // log time, exclusive
    std::uint32_t days = 0;  // inactive only: 1..inactive_days_max
};

// Checks a report's parameters as a reader gives them (absent: not given). Every report needs
// both bounds, from_ms < to_ms, both within [0, 2^53) and at most report_range_ms_max apart;
// `inactive` needs days (1..inactive_days_max), which the others refuse. Errors:
// "bad_report_range" saying which rule.
[[nodiscard]] result<report_params> check_report_params(report_kind kind, community_id c,
                                                        std::optional<std::uint64_t> from_ms,
                                                        std::optional<std::uint64_t> to_ms,
                                                        std::optional<std::uint64_t> days);

// The signed checkpoint a report was computed at: its leaves [0, tree_size) are the report's.
struct report_checkpoint {
    std::uint64_t tree_size = 0;
    digest root;
};

// A cell is a whole number (minutes, member numbers, ms, counts) or a text (ids in hex,
// categories, months as YYYY-MM, kinds).
using report_cell = std::variant<std::int64_t, std::string>;

struct report_table {
    report_params params;
    report_checkpoint at;
    std::vector<std::string_view> columns;
    std::vector<std::vector<report_cell>> rows;
};

// The fold: what the reports read, gathered once from a community's leaves and kept, so that
// any report over any range is computed from it without reading the log again, and a later
// checkpoint only adds its new leaves (api/node/reports.h keeps one per community). add() each
// leaf of the tree in order, from leaf 0, with the node's verdict and the log's time (only
// accepted events count); report() then computes a report at the checkpoint whose tree those
// leaves are (it asserts that exactly tree_size leaves were added). A report is the state at
// params.to: whatever was logged at or after it is left out, as if the fold had stopped there.
// Memory: a few dozen bytes per exchange and post, 8 per event of a member.
class report_facts {
public:
    explicit report_facts(community_id c) : community_(c) {}
    void add(const event_body& body, reject_reason verdict, time_ms logged_at);
    [[nodiscard]] report_table report(const report_params& p, const report_checkpoint& at) const;
    std::uint64_t leaves() const { return leaves_; }
    community_id community() const { return community_; }

private:
    static constexpr std::int64_t never = INT64_MAX;
    enum class exchange_kind : std::uint8_t { claim, transfer, reversal };
    // A confirmed claim (at its confirmation: from the receiver to the helper), a transfer, or
    // a reversal of either (from whom it takes back to whom it gives back).
    struct exchange_fact {
        time_ms at;
        std::uint64_t leaf = 0;
        exchange_kind kind = exchange_kind::claim;
        bool help = false;  // a claim, or the reversal of one: hours of help
        event_id id;
        member_id from, to;
        minutes amount{0};
        std::optional<category> what;
    };
    struct post_fact {
        event_id id;
        std::uint64_t leaf = 0;
        time_ms posted_at;
        member_id author;
        category what = category::other;
        bool request = false;
        std::int64_t closed_at = never;    // withdrawn or hidden
        std::int64_t answered_at = never;  // a match accepted, or a claim for it confirmed
        std::vector<std::int64_t> proposed_at = {};
    };
    struct claim_fact {
        member_id helper, receiver;
        minutes amount{0};
        std::optional<category> what;
        std::optional<event_id> post = std::nullopt;  // the post it names (a match's request)
    };
    struct transfer_fact {
        member_id from, to;
        minutes amount{0};
    };
    struct member_fact {
        std::int64_t left_at = never;
        std::vector<std::int64_t> active_at;  // admission, then each event of theirs
    };

    post_fact* post(const event_id& id);

    community_id community_;
    std::uint64_t leaves_ = 0;
    std::vector<exchange_fact> exchanges_;  // in log order
    std::vector<post_fact> posts_;          // in log order
    std::unordered_map<event_id, std::size_t> post_index_;
    std::unordered_map<event_id, claim_fact> claims_;
    std::unordered_map<event_id, transfer_fact> transfers_;
    std::unordered_map<event_id, event_id> proposal_request_;  // proposal -> its request
    std::unordered_map<event_id, std::pair<member_id, invitation_purpose>> invitations_;
    std::unordered_map<member_id, member_fact> members_;
    std::vector<std::int64_t> accepted_at_;  // matches accepted
};

// The report `p` over an export that verify_export found sound: computed at the export's last
// checkpoint (in log order) that the ledger accepted and one of `trusted` signed, the one a
// node's report names, over exactly the records before its tree size. Errors: "no_checkpoint"
// (none such), "bad_export" (a record does not decode).
[[nodiscard]] result<report_table> report_of_export(const parsed_export& e,
                                                    const std::set<public_key>& trusted,
                                                    const report_params& p);

// The public impact page (api/README.md, "The public impact page"): the impact report of each
// of the impact_page_months calendar months (UTC, log time) up to and including the month of
// `at` (a checkpoint's time, from 1970 on), oldest first, then one of those months together
// (`month` empty).
// Each range is a whole month, so the figures of a month that has ended never change; the last
// month's range ends at its end, after `at`, and holds what the checkpoint holds of it. Pure.
inline constexpr std::size_t impact_page_months = 12;
struct impact_range {
    std::string month;  // "YYYY-MM"; empty for the months together
    report_params params;
};
[[nodiscard]] std::vector<impact_range> impact_page_ranges(community_id c, time_ms at);

// The CSV form (RFC 4180, "\r\n" line ends): a first line naming the report, the community,
// the range and the checkpoint, as a comment ("# ..."), then the header row and the rows. The
// route's CSV and `audit report`'s are these bytes.
[[nodiscard]] std::string report_csv(const report_table& t);
// The JSON form: {"report", "community", "from_ms", "to_ms", ["days",] "checkpoint":
// {"tree_size", "root"}, "columns": [...], "rows": [[...], ...]}; numbers as JSON numbers
// (all within 2^53), texts as strings.
[[nodiscard]] std::string report_json(const report_table& t);

}  // namespace uurwerk

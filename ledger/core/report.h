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
// Threading: a report_builder is a value used by one thread at a time; the free functions are
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
    unanswered,    // requests posted in the range, still open at to_ms, never matched
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
inline constexpr std::int64_t day_ms = std::int64_t{24} * 3600 * 1000;

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

// The fold. add() each leaf of the tree in order, from leaf 0, with the node's verdict and the
// log's time; then finish() with the checkpoint whose tree those leaves are (finish asserts
// that exactly tree_size leaves were added). Leaves at or after params.to are folded for
// nothing: a report is the state at to_ms.
class report_builder {
public:
    explicit report_builder(const report_params& params);
    void add(const event_body& body, reject_reason verdict, time_ms logged_at);
    [[nodiscard]] report_table finish(const report_checkpoint& at) const;
    std::uint64_t leaves() const { return leaves_; }

private:
    struct post_state {
        member_id author;
        category what = category::other;
        time_ms posted_at;
        std::uint64_t leaf = 0;
        bool request = false;
        bool open = true;
        bool answered = false;  // a match accepted, or a claim confirmed for it
        std::uint32_t proposals = 0;
    };
    struct claim_state {
        member_id helper, receiver;
        minutes amount{0};
        std::optional<category> what;
        bool confirmed = false;
    };
    struct transfer_state {
        member_id from, to;
        minutes amount{0};
    };
    struct proposal_state {
        event_id request, offer;
        member_id helper;
    };
    struct member_state {
        time_ms last_active;
        bool left = false;
    };
    // The month (UTC) of a log time as year * 12 + month - 1.
    struct hours_key {
        std::int64_t month;
        std::uint64_t member;
        std::string_view what;
        auto operator<=>(const hours_key&) const = default;
    };
    struct hours_cell {
        std::int64_t given = 0, received = 0;
    };

    bool in_range(time_ms t) const { return t >= params_.from && t < params_.to; }
    void active(member_id m, time_ms t);
    void settle(member_id helper, member_id receiver, minutes amount, std::optional<category> what,
                time_ms t);
    void row(std::vector<report_cell> r) { rows_.push_back(std::move(r)); }

    report_params params_;
    std::uint64_t leaves_ = 0;
    std::unordered_map<event_id, post_state> posts_;
    std::vector<event_id> post_order_;  // posts in log order, for the open-post reports
    std::unordered_map<event_id, claim_state> claims_;
    std::unordered_map<event_id, transfer_state> transfers_;
    std::unordered_map<event_id, proposal_state> proposals_;
    std::unordered_map<event_id, std::pair<member_id, invitation_purpose>> invitations_;
    std::unordered_map<member_id, member_state> members_;
    std::map<hours_key, hours_cell> hours_;
    std::vector<std::vector<report_cell>> rows_;  // transactions, in log order
    std::int64_t matches_made_ = 0, minutes_given_ = 0;
    std::unordered_set<member_id> helpers_, helped_;
};

// The report `p` over an export that verify_export found sound: computed at the export's last
// checkpoint (in log order) that the ledger accepted and one of `trusted` signed, the one a
// node's report names, over exactly the records before its tree size. Errors: "no_checkpoint"
// (none such), "bad_export" (a record does not decode).
[[nodiscard]] result<report_table> report_of_export(const parsed_export& e,
                                                    const std::set<public_key>& trusted,
                                                    const report_params& p);

// The CSV form (RFC 4180, "\r\n" line ends): a first line naming the report, the community,
// the range and the checkpoint, as a comment ("# ..."), then the header row and the rows. The
// route's CSV and `audit report`'s are these bytes.
[[nodiscard]] std::string report_csv(const report_table& t);
// The JSON form: {"report", "community", "from_ms", "to_ms", ["days",] "checkpoint":
// {"tree_size", "root"}, "columns": [...], "rows": [[...], ...]}; numbers as JSON numbers
// (all within 2^53), texts as strings.
[[nodiscard]] std::string report_json(const report_table& t);

}  // namespace uurwerk

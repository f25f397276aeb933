#pragma once
// The routes about one member's person (AVG): their profile, their contact details, and the
// export of everything uurwerk holds about them. api/README.md, "Profiles" and "Export", is the
// contract; the access rule of each is its row's caller in the route table (routes.cpp):
//   GET .../members/{m}/profile   any member: display name, verified, former member;
//   GET .../members/{m}/contact   the member, their delegate, a coordinator, or the other person
//                                 of an accepted match (until contactWindowDays after it ended):
//                                 the whole profile, contact details included;
//   GET .../members/{m}/export    the member, their delegate, or a coordinator.
//   GET .../members/{m}/delegations  the same: the delegations in force now where the member
//                                 is the delegate ("acts_for") and where they are the grantor
//                                 ("acted_for_by"), with the other person's display name.
//
// Pure functions of the node's state and personal-data store; safe from any thread.

#include <optional>
#include <string>

#include "api/http/http_server.h"
#include "api/node/node.h"
#include "ledger/core/profile.h"
#include "ledger/core/rules.h"
#include "projections/query.h"

namespace uurwerk::member_routes {

// The member's profile from the personal-data store (api/node/node.h).
using uurwerk::profile_of;

[[nodiscard]] http_response profile(node& n, community_id c, member_id m);
[[nodiscard]] http_response contact(node& n, community_id c, member_id m);

// What a member's home page shows, in one answer (api/README.md, "The web app's reads"): their
// name and balance, their open posts, the proposals that wait for their answer, their accepted
// matches (with the other person's display name), and the claims they are to confirm or wait
// on. A scan of the community's records of the member, as the export.
[[nodiscard]] http_response overview(node& n, community_id c, member_id m);

// The category of the help whose hours the event in `record` moved: the claim it makes,
// confirms, disputes or reverses names a request, an offer or a proposal. Nothing for a transfer,
// a claim that names none, or help the state no longer holds. Reads the claim's record from the
// log when the event only refers to it.
[[nodiscard]] std::optional<category> help_category_of(node& n, community_id c,
                                                       const log_record& record);

// One line of a member's history as the history route and the export show it; the history
// route adds when the event was logged (`logged_at`, the log's clock) and what the help was
// (`what`, help_category_of).
struct history_extras {
    std::optional<time_ms> logged_at;
    std::optional<category> what;
};
[[nodiscard]] std::string history_row(const history_entry& h, const history_extras& extras);

// The export: `reputation` is the body of the member's reputation answer (with its
// explanation), put in as it is.
[[nodiscard]] http_response export_of(node& n, community_id c, member_id m,
                                      const http_response& reputation);

// The delegations in force at `now` of member `m` (query::delegations; the export lists them
// all, ended ones too).
[[nodiscard]] http_response delegations(node& n, community_id c, member_id m, time_ms now);

}  // namespace uurwerk::member_routes

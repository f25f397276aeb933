#pragma once
// The routes about invitations (ledger/core/RULES.md, "Invitations"). api/README.md,
// "Invitations", is the contract; the access rule of each is its row's caller in the route table
// (routes.cpp):
//   POST .../invitations/{id}/check   anyone who holds the code (it travels in the body, never in
//                                     a URL): what the invitation is for and whether it is open;
//                                     an unknown id and a wrong code answer the same 404
//                                     (invitation_unknown). A POST: charged to the address's
//                                     write quota, so guessing codes is rate limited.
//   GET  .../invitations              a coordinator: every invitation the community keeps, and
//                                     the member id a console proposes for the next newcomer.
//
// Pure functions of the node's state; `now` is the reading node's clock (an invitation expires
// by it for a reader, by the log's clock for the fold). Safe from any thread.

#include "api/http/http_server.h"
#include "api/node/node.h"

namespace uurwerk::invitation_routes {

[[nodiscard]] http_response check(node& n, community_id c, const event_id& id,
                                  const http_request& request, time_ms now);
[[nodiscard]] http_response list(node& n, community_id c, time_ms now);

}  // namespace uurwerk::invitation_routes

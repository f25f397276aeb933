#pragma once
// The e-mail routes (api/README.md, "E-mail"): a member's mail choice, read and set by the
// member (or their delegate, or a coordinator: the table's `self`), and the one-click stop that
// every message links to, authorised by its token alone (api/mail/mailer.h). Without a mailer
// (no `serve --smtp`) they answer 404 not_found.
//
// Threading: any worker thread; the mailer's store takes concurrent calls.

#include "api/http/http_server.h"
#include "api/http/route_support.h"
#include "api/mail/mailer.h"

namespace uurwerk::mail_routes {

// GET .../members/{m}/mail: {"community", "member", "frequency"}.
[[nodiscard]] http_response choice(mailer* m, community_id c, member_id who);
// POST .../members/{m}/mail with {"frequency": "at_once"|"daily"|"weekly"|"never"}.
[[nodiscard]] http_response set_choice(mailer* m, community_id c, member_id who,
                                       const http_request& request);
// POST /v1/communities/{c}/invitations/{id}/mail with {"code", "email", "language"?}: mails the
// invitation's link to that address (a coordinator's: the table's rule). The code must be the
// invitation's and the invitation open (invitation_unknown, 409 invitation_used / _expired),
// the address one that can go in a header (400). Answers 202 {"queued": true}.
[[nodiscard]] http_response mail_invitation(mailer* m, node& n, community_id c,
                                            const event_id& invitation, const http_request& request,
                                            time_ms now);
// GET /v1/mail/unsubscribe?community&member&token: a page with one button (it changes nothing:
// a mail program's link checker may open it). POST to the same address, as a mail program's
// one-click (RFC 8058) or that button: sets `never`. A wrong token: 403.
[[nodiscard]] http_response unsubscribe_page(mailer* m, const target_parts& t);
[[nodiscard]] http_response unsubscribe(mailer* m, const target_parts& t);

}  // namespace uurwerk::mail_routes

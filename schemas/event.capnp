@0x973f7e6a86e51b92;
# The events of uurwerk: what a member, a coordinator or a node signs and the log stores.
#
# Rules for this file (it is a wire format and a signed format at once):
# - Never renumber, reuse or retype a field; add new fields with the next number.
# - The signed bytes are the Cap'n Proto canonical encoding of an `EventBody`.
# - In JSON (capnp's JsonCodec), Data fields annotated `$Json.hex` are lower-case hex strings and
#   64-bit integers are decimal strings.
# - Bounds (in characters of UTF-8 text, or bytes) are checked by ledger/core/event.cpp on decode;
#   see ledger/core/limits.h for the named maxima.

using Cxx = import "/capnp/c++.capnp";
using Json = import "/capnp/compat/json.capnp";
$Cxx.namespace("uurwerk::schema");

# The unit that travels and is stored: the signed body bytes, who signed, and the signature.
struct Envelope {
  body @0 :Data $Json.base64;    # Canonical bytes of an EventBody; the exact bytes that were signed.
  signer @1 :Data $Json.hex;     # 32-byte raw Ed25519 public key of the signer.
  signature @2 :Data $Json.hex;  # 64-byte Ed25519 signature over "uurwerk/event/v1" ++ body.
}

struct EventBody {
  id @0 :Data $Json.hex;       # 16 bytes chosen by the client; idempotency key, and the id of the
                               # post, claim, transfer or match this event creates.
  community @1 :UInt64;        # The community (currency) this event belongs to; > 0.
  author @2 :UInt64;           # Member whose key signed; > 0 (a node signs as member 0).
  seq @3 :UInt64;              # Strictly increasing per signing key, from 1.
  createdAtMs @4 :Int64;       # Client clock, informative only; order comes from the log.
  onBehalfOf @5 :UInt64;       # 0, or the member a delegate (or coordinator) acts for.

  union {
    communityFounded @6 :CommunityFounded;
    policyChanged @7 :PolicyChanged;
    nodeKeyAnnounced @8 :NodeKeyAnnounced;
    memberAdmitted @9 :MemberAdmitted;
    keyAdded @10 :KeyAdded;
    keyRevoked @11 :KeyRevoked;
    delegationGranted @12 :DelegationGranted;
    delegationRevoked @13 :DelegationRevoked;
    memberSuspended @14 :MemberSuspended;
    memberReinstated @15 :MemberReinstated;
    offerPosted @16 :Post;
    requestPosted @17 :Post;
    postWithdrawn @18 :PostRef;
    postHidden @19 :PostHidden;
    matchProposed @20 :MatchProposed;
    matchAccepted @21 :MatchRef;
    matchDeclined @22 :MatchRef;
    matchEnded @23 :MatchRef;
    hoursClaimed @24 :HoursClaimed;
    hoursConfirmed @25 :ClaimRef;
    hoursDisputed @26 :HoursDisputed;
    transfer @27 :Transfer;
    reversal @28 :Reversal;
    endorsement @29 :Endorsement;
    checkpoint @30 :Checkpoint;
    memberLeft @31 :MemberLeft;
    profileUpdated @32 :ProfileUpdated;
    auditorAppointed @33 :AuditorAppointed;
    invitationIssued @34 :InvitationIssued;
    invitationRedeemed @35 :InvitationRedeemed;
    memberVerified @36 :MemberVerified;
  }
  # Next field: @37.
}

# The names of the kinds above, in the same order, for lists of kinds (delegations).
enum EventKind {
  communityFounded @0;
  policyChanged @1;
  nodeKeyAnnounced @2;
  memberAdmitted @3;
  keyAdded @4;
  keyRevoked @5;
  delegationGranted @6;
  delegationRevoked @7;
  memberSuspended @8;
  memberReinstated @9;
  offerPosted @10;
  requestPosted @11;
  postWithdrawn @12;
  postHidden @13;
  matchProposed @14;
  matchAccepted @15;
  matchDeclined @16;
  matchEnded @17;
  hoursClaimed @18;
  hoursConfirmed @19;
  hoursDisputed @20;
  transfer @21;
  reversal @22;
  endorsement @23;
  checkpoint @24;
  memberLeft @25;
  profileUpdated @26;
  auditorAppointed @27;
  invitationIssued @28;
  invitationRedeemed @29;
  memberVerified @30;
}

# The rules of a community's currency. All amounts in minutes.
struct Policy {
  creditLimitMinutes @0 :Int64;  # How far below zero a balance may go (>= 0). 0 = no credit.
  balanceMaxMinutes @1 :Int64;   # The most a balance may hold (> 0).
  claimMinutesMax @2 :Int64;     # The largest single claim or transfer (> 0).
  # The matcher's fairness knobs (matching/fairness.h). For every one of them 0 (unset, as in
  # every policy written before they existed) means the default named here, so an old log and a
  # plain `found` get a matcher that works. The rules reject a value outside its range with
  # reason fairness_knob_out_of_range.
  fairnessOff @3 :Bool;                 # true: rank by relevance x reputation only (popularity).
  proposalsPerRequest @4 :UInt32;       # Proposals in one round for one request: 1..20 (3).
  openMatchesMax @5 :UInt32;            # Open (proposed or accepted) matches a helper may have
                                        # at once before no more are proposed to them: 1..100 (4).
  newcomerFloorHours @6 :UInt32;        # An offer that waited this long without any proposal
                                        # goes first: 1..8760 (72).
  qualityFloorPermille @7 :UInt32;      # Fairness proposes only candidates whose relevance is at
                                        # least this share of the best one's: 1..1000 (500).
  reputationWeightMaxPermille @8 :UInt32;  # Reputation multiplies relevance by at most
                                        # 1 + this/1000: 1..1000 (200).
  lowReputationProposalsMin @9 :UInt32;  # Requests of members with little reputation are served
                                        # first, up to this many proposals each: 1..20, at most
                                        # proposalsPerRequest (1).
  reputationHalfLifeDays @10 :UInt32;   # Age at which an exchange weighs half in the
                                        # reputation the matcher uses: 1..3650 (180).
  requestWaitHoursMax @11 :UInt32;      # A request that has waited this long without an accepted
                                        # match is served even while earlier proposals are
                                        # unanswered (those younger than this still hold it), and
                                        # may be proposed helpers proposed before when no fresh
                                        # one is free; fairness on only: 1..8760 (48).
  silenceFloorHours @12 :UInt32;        # An offer proposed before, but not in this long, whose
                                        # helper has no open match, is proposed for a fitting
                                        # request beyond proposalsPerRequest (the least recently
                                        # proposed first, up to silentProposalsMax more); fairness
                                        # on only: 1..8760 (336).
  silentProposalsMax @13 :UInt32;       # The most such proposals for one request and round:
                                        # 1..20 (17).
  contactWindowDays @14 :UInt32;        # How long after a match ends its two people may still
                                        # read each other's contact details: 1..365 (30). 0: the
                                        # default.
  retentionDays @15 :UInt32;            # Texts of closed posts and settled claims are deleted
                                        # from the personal-data store this long after the
                                        # post closed or the claim settled (the log's clock):
                                        # 1..3650 (730). 0: the default.
  unmatchedFirstProposals @16 :UInt32;  # A request whose first-ranked helper has had no match
                                        # yet gets at most this many proposals in a round, so
                                        # that the requester's choice (which prefers a record)
                                        # cannot hand the match back to a helper who had one;
                                        # fairness on only: 1..20 (20: no cut). 0: the default.
  publicImpact @17 :Bool;               # true: anyone may read the community's impact figures
                                        # (matches made, hours given, active helpers, people
                                        # helped) at its latest checkpoint, on its public page
                                        # (api/README.md, "The public impact page"); false (as
                                        # in every policy before it): its coordinators and
                                        # auditors only.
  matchSilenceHours @18 :UInt32;        # A fitting helper who has no open match and whose offer
                                        # has had no match end for this long (never matched:
                                        # since it was posted) is proposed first, alone (so the
                                        # requester's choice, which prefers a record, cannot
                                        # pass them over), the longest silent first: volunteers
                                        # who hear nothing drift away. Fairness on only:
                                        # 1..8760 (0: the default, no such rule).
  # Next field: @19.
}

struct CommunityFounded {
  name @0 :Text;                 # Public name of the community, at most 80 characters.
  policy @1 :Policy;             # The currency's first rules.
  # The author becomes the first member and coordinator, with the signing key as theirs.
}

struct PolicyChanged {
  policy @0 :Policy;             # Replaces the whole policy. Coordinators only.
}

struct NodeKeyAnnounced {
  key @0 :Data $Json.hex;        # 32-byte Ed25519 key a node signs checkpoints and proposals with.
}

enum Role {
  member @0;
  coordinator @1;
}

struct MemberAdmitted {
  member @0 :UInt64;             # New member id, unused in this community; > 0.
  key @1 :Data $Json.hex;        # The member's first 32-byte Ed25519 public key; or empty: a
                                 # member with no key (no device), who acts only through a proxy
                                 # delegation a coordinator records for them.
  role @2 :Role;
  verified @3 :Bool;             # The coordinator checked the member's identity off-line.
  profileDigest @4 :Data $Json.hex;  # Empty, or the 32-byte commitment to the member's profile
                                 # (ledger/core/profile.h; ledger/core/personal.h), which
                                 # travels beside the event and is kept off the log (AVG).
}

struct KeyAdded {
  member @0 :UInt64;             # Whose key; the member themselves or a coordinator signs.
  key @1 :Data $Json.hex;        # New 32-byte key (a new device). Rotation = add, then revoke.
}

struct KeyRevoked {
  member @0 :UInt64;             # Whose key; the member themselves or a coordinator signs. 0: a
                                 # node key of the community (a coordinator revokes it).
  key @1 :Data $Json.hex;        # The 32-byte key that may sign no more.
}

struct DelegationGranted {
  delegate @0 :UInt64;           # Member who may post for the grantor (the effective author).
  kinds @1 :List(EventKind);     # Which kinds they may sign for the grantor; at most 25.
  untilMs @2 :Int64;             # Expiry on the log's clock (valid while the log's clock is
                                 # below it); 0 = until revoked.
  grantor @3 :UInt64;            # 0: the author. Else a coordinator records a proxy for this
                                 # member, who has no key of their own (marked as a proxy).
  # Only member kinds can be delegated (never delegations, keys, coordinators' kinds).
}

struct DelegationRevoked {
  delegate @0 :UInt64;
  grantor @1 :UInt64;            # 0: the author's own. Else a coordinator ends a proxy of this
                                 # member.
}

struct MemberSuspended {
  member @0 :UInt64;
  reason @1 :Text;               # Before format 12: the text itself. Must be empty now (AVG: no
                                 # personal data in the log); the text travels beside the event.
  reasonDigest @2 :Data $Json.hex;
                                 # Empty, or the 32-byte commitment to the reason (at most
                                 # 600 characters; ledger/core/personal.h), kept beside the log.
}

struct MemberReinstated {
  member @0 :UInt64;
}

# A coordinator checked, off-line, who an admitted member is (as `verified` at admission does).
# Coordinators only; a member who left cannot be verified.
struct MemberVerified {
  member @0 :UInt64;
}

# A member leaves (AVG art. 17): signed by the member, or a coordinator for them; accepted only
# with a settled balance (zero) and no claim pending. Once applied, every node erases the
# member's personal data (the texts they wrote or that name them); the log and every proof stay
# as they are. A member who left signs nothing more and is never reinstated.
struct MemberLeft {
  member @0 :UInt64;
}

# A member's profile changes (display name, contact details, languages, about me): signed by the
# member, their delegate, or a coordinator for them. The profile document itself (at most 1500
# bytes; ledger/core/profile.h) travels beside the event and is kept off the log, erasable; the
# body carries only its commitment. The newest accepted one is the member's profile.
struct ProfileUpdated {
  member @0 :UInt64;
  profileDigest @1 :Data $Json.hex;  # The 32-byte commitment to the profile document.
}

# A coordinator appoints an auditor of the community, or ends an appointment: the holder of
# `key` may then read the community's export, its events and its members' hour certificates
# (never a profile, contact details or any text), with a session of member 0 signed by that key
# (api/README.md, "Sessions"), while the reading node's clock is below `untilMs`. Appointing a
# key again sets its new end; an end at or before the log's time of the event ends the
# appointment at once. Signed by a coordinator for themselves (no delegate, no proxy).
struct AuditorAppointed {
  key @0 :Data $Json.hex;        # The auditor's 32-byte Ed25519 public key.
  untilMs @1 :Int64;             # The end of the appointment (ms since the Unix epoch), at most
                                 # 366 days after the log's time of the event; >= 0.
}

# What an invitation is for (InvitationIssued).
enum InvitationPurpose {
  join @0;         # a newcomer: redeeming admits them as `member` with the redeeming key
  addDevice @1;    # a second device of an existing member: the key is added
  replaceKeys @2;  # a member who lost every device: the key is added, every other key revoked
}

# An invitation: a one-time code (drawn by the issuer's client, travelling only in the link it
# hands the invitee) that a new key redeems once, before `untilMs`, by signing an
# InvitationRedeemed. The invitation's id is this event's id. `join` and `replaceKeys` are
# signed by a coordinator for themselves; `addDevice` by the member for themselves, or by a
# coordinator; never by a delegate (ledger/core/RULES.md, "Invitations").
struct InvitationIssued {
  purpose @0 :InvitationPurpose;
  member @1 :UInt64;             # join: the newcomer's member id (unused, and named by no other
                                 # open join invitation); addDevice, replaceKeys: an existing
                                 # member. > 0.
  role @2 :Role;                 # join only (the newcomer's role); else must be member.
  verified @3 :Bool;             # join only (the newcomer's verified flag); else must be false.
  codeDigest @4 :Data $Json.hex; # SHA-256("uurwerk/invitation/v1" || 0x00 || code), 32 bytes.
  untilMs @5 :Int64;             # The expiry on the log's clock: after the log's time of this
                                 # event, at most 30 days after it.
}

# The one event a key the community does not know may sign: the new key redeems an open
# invitation with its code. Signed by the new key, with author = the invitation's member, seq 1
# and onBehalfOf 0. Redeemed, the code is spent: it is no secret once in the log.
struct InvitationRedeemed {
  invitation @0 :Data $Json.hex; # The InvitationIssued event's 16-byte id.
  code @1 :Data $Json.hex;       # The one-time code, 16 bytes.
}

enum Category {
  companionship @0;
  shopping @1;
  dogWalking @2;
  childminding @3;
  oddJobs @4;
  lifts @5;
  computerHelp @6;
  meals @7;
  gardening @8;
  other @9;
}

enum Intensity {
  once @0;
  sometimes @1;
  regularly @2;
}

# An offer of help or a request for help. The post's id is the event's id.
struct Post {
  category @0 :Category;
  text @1 :Text;                 # Before format 12: the text itself. Must be empty now (AVG: no
                                 # personal data in the log); the text travels beside the event.
  intensity @2 :Intensity;
  area @3 :Text;                 # Coarse area (e.g. a postcode's digits), at most 32 characters.
  availability @4 :UInt32;       # Bit 3*day+part: day 0 = Monday, part 0/1/2 = morning/afternoon/
                                 # evening; 0 = any time.
  textDigest @5 :Data $Json.hex;
                                 # Empty, or the 32-byte commitment to the post's text (at most
                                 # 600 characters; ledger/core/personal.h), kept beside the log.
}

struct PostRef {
  post @0 :Data $Json.hex;       # Id of the offerPosted / requestPosted event.
}

struct PostHidden {
  post @0 :Data $Json.hex;
  reason @1 :Text;               # Before format 12: the text itself. Must be empty now (AVG: no
                                 # personal data in the log); the text travels beside the event.
  reasonDigest @2 :Data $Json.hex;
                                 # Empty, or the 32-byte commitment to the reason (at most
                                 # 600 characters; ledger/core/personal.h), kept beside the log.
}

struct MatchProposed {
  request @0 :Data $Json.hex;    # The request's post id.
  offer @1 :Data $Json.hex;      # The offer's post id.
  helper @2 :UInt64;             # The offer's author.
  round @3 :UInt32;              # Matching round for this request.
  rank @4 :UInt32;               # Position shown, from 0.
  roundSize @5 :UInt32;          # Proposals made in this round for this request (> rank); 0 in
                                 # events written before it existed (read as rank + 1).
  basis @6 :UInt64;              # The community's event count the matcher read (its state after
                                 # that many of the community's events): an auditor re-runs the
                                 # matcher there and gets this proposal.
  # Next field: @7. The id of a proposal is derived (matching/matcher.h), not chosen.
}

struct MatchRef {
  match @0 :Data $Json.hex;      # Id of the matchProposed event.
}

struct HoursClaimed {
  receiver @0 :UInt64;           # Member who received the help and must confirm.
  minutes @1 :Int64;             # > 0, at most the policy's claimMinutesMax.
  post @2 :Data $Json.hex;       # Empty, or the request/offer/match this help was for.
  note @3 :Text;                 # Before format 12: the text itself. Must be empty now (AVG: no
                                 # personal data in the log); the text travels beside the event.
  noteDigest @4 :Data $Json.hex;
                                 # Empty, or the 32-byte commitment to the note (at most
                                 # 600 characters; ledger/core/personal.h), kept beside the log.
}

struct ClaimRef {
  claim @0 :Data $Json.hex;      # Id of the hoursClaimed event.
}

struct HoursDisputed {
  claim @0 :Data $Json.hex;
  reason @1 :Text;               # Before format 12: the text itself. Must be empty now (AVG: no
                                 # personal data in the log); the text travels beside the event.
  reasonDigest @2 :Data $Json.hex;
                                 # Empty, or the 32-byte commitment to the reason (at most
                                 # 600 characters; ledger/core/personal.h), kept beside the log.
}

struct Transfer {
  to @0 :UInt64;                 # Receiving member; 0 = the community fund.
  minutes @1 :Int64;             # > 0, at most the policy's claimMinutesMax.
  note @2 :Text;                 # Before format 12: the text itself. Must be empty now (AVG: no
                                 # personal data in the log); the text travels beside the event.
  noteDigest @3 :Data $Json.hex;
                                 # Empty, or the 32-byte commitment to the note (at most
                                 # 600 characters; ledger/core/personal.h), kept beside the log.
}

struct Reversal {
  target @0 :Data $Json.hex;     # Id of a confirmed claim (hoursClaimed) or a transfer to undo.
  reason @1 :Text;               # Before format 12: the text itself. Must be empty now (AVG: no
                                 # personal data in the log); the text travels beside the event.
  reasonDigest @2 :Data $Json.hex;
                                 # Empty, or the 32-byte commitment to the reason (at most
                                 # 600 characters; ledger/core/personal.h), kept beside the log.
  # Coordinators only.
}

struct Endorsement {
  member @0 :UInt64;             # Whom the author endorses.
  claim @1 :Data $Json.hex;      # A confirmed claim between the two.
  text @2 :Text;                 # Before format 12: the text itself. Must be empty now (AVG: no
                                 # personal data in the log); the text travels beside the event.
  textDigest @3 :Data $Json.hex;
                                 # Empty, or the 32-byte commitment to the endorsement's text (at most
                                 # 600 characters; ledger/core/personal.h), kept beside the log.
}

struct Checkpoint {
  treeSize @0 :UInt64;           # Number of leaves in the community's Merkle tree.
  rootHash @1 :Data $Json.hex;   # 32-byte RFC 6962 root over those leaves.
  timestampMs @2 :Int64;         # When the node signed it.
  verdictRoot @3 :Data $Json.hex;
  # 32-byte RFC 6962 root of the community's verdict tree over the same treeSize leaves: leaf i
  # commits to event leaf i's verdict, log offset and log time (ledger/FORMAT.md). The rules
  # reject a checkpoint without it, or with another root (checkpoint_verdict_root_mismatch).
  # Next field: @4.
}

# What POST /v1/events takes: the signed envelope, and beside it the personal data its body
# commits to (never stored in the log; the node checks it against the commitment and keeps it
# in its personal-data store). Not a stored form.
struct Submission {
  body @0 :Data $Json.base64;    # As in Envelope.
  signer @1 :Data $Json.hex;
  signature @2 :Data $Json.hex;
  personal @3 :PersonalText;     # Absent when the body commits to no text.
}

# A free text and the salt of its commitment: the body's commitment is
# SHA-256("uurwerk/personal/v1" ++ 0x00 ++ salt ++ text) (ledger/core/personal.h).
struct PersonalText {
  salt @0 :Data $Json.hex;       # 16 random bytes the client chose; never reused.
  text @1 :Text;                 # 1 to 600 characters of UTF-8.
}

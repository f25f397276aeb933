#!/usr/bin/env python3
"""An independent verifier of uurwerk hour certificates, written from ledger/FORMAT.md alone.

It shows that a third party can check a certificate without uurwerk's code: Python's hashlib
for SHA-256, the `cryptography` package for Ed25519, and a reader of the few Cap'n Proto
structures involved (canonical form: one segment, no segment table, the root pointer first).

usage: verify_certificate.py CERTIFICATE.json --trust NODE_KEY_HEX[,...]
Exit 0 and "OK: ..." when the certificate holds (and each note the member revealed, checked
against its claim's commitment); exit 1 and "FAILED: <what and where>" when not; exit 2 for a
usage error.
"""
import base64
import hashlib
import json
import struct
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

EVENT_TAG = b"uurwerk/event/v1"
PERSONAL_TAG = b"uurwerk/personal/v1"  # a free text's salted commitment (ledger/FORMAT.md)
TEXT_CHARS_MAX = 600
# EventBody's union tags (schemas/event.capnp, the order of the union's members).
FOUNDED, ADMITTED, KEY_ADDED, KEY_REVOKED, DELEGATED, UNDELEGATED = 0, 3, 4, 5, 6, 7
CLAIMED, CONFIRMED, CHECKPOINT = 18, 19, 24
INVITED, REDEEMED = 28, 29
COORDINATOR = 1
INVITATION_TAG = b"uurwerk/invitation/v1"  # an invitation's code commitment (ledger/FORMAT.md)
JOIN, ADD_DEVICE, REPLACE_KEYS = 0, 1, 2
# The kinds a member may let a delegate sign for them (ledger/FORMAT.md §5): offerPosted,
# requestPosted, postWithdrawn, matchAccepted, matchDeclined, matchEnded, hoursClaimed,
# hoursConfirmed, hoursDisputed, transfer, endorsement. Never keys, delegations or coordinators'.
DELEGABLE = {10, 11, 12, 15, 16, 17, 18, 19, 20, 21, 23}


class Failed(Exception):
    pass


# --- Cap'n Proto, just enough -------------------------------------------------------------

def signed_offset(pointer):
    """Bits 2..31 of a pointer: a signed 30-bit offset in words from the pointer's end."""
    off = (pointer & 0xFFFFFFFF) >> 2
    return off - (1 << 30) if off & (1 << 29) else off


class Struct:
    def __init__(self, msg, data_at, data_words, ptr_at, ptr_count):
        self.msg, self.data_at, self.data_words = msg, data_at, data_words
        self.ptr_at, self.ptr_count = ptr_at, ptr_count

    def u64(self, byte_offset):
        if byte_offset + 8 > self.data_words * 8:
            return 0
        return struct.unpack_from("<Q", self.msg, self.data_at + byte_offset)[0]

    def i64(self, byte_offset):
        v = self.u64(byte_offset)
        return v - (1 << 64) if v >= 1 << 63 else v

    def u16(self, byte_offset):
        if byte_offset + 2 > self.data_words * 8:
            return 0
        return struct.unpack_from("<H", self.msg, self.data_at + byte_offset)[0]

    def bit(self, byte_offset, bit):
        if byte_offset + 1 > self.data_words * 8:
            return False
        return bool(self.msg[self.data_at + byte_offset] >> bit & 1)

    def _pointer(self, i):
        if i >= self.ptr_count:
            return None, 0
        at = self.ptr_at + 8 * i
        return at, struct.unpack_from("<Q", self.msg, at)[0]

    def struct(self, i):
        at, p = self._pointer(i)
        if not p:
            raise Failed("a struct field is missing")
        if p & 3 != 0:
            raise Failed("not a struct pointer")
        target = at + 8 + 8 * signed_offset(p)
        data_words, ptrs = (p >> 32) & 0xFFFF, (p >> 48) & 0xFFFF
        if target < 0 or target + 8 * (data_words + ptrs) > len(self.msg):
            raise Failed("a struct pointer points outside the message")
        return Struct(self.msg, target, data_words, target + 8 * data_words, ptrs)

    def list_raw(self, i):
        at, p = self._pointer(i)
        if not p:
            return 0, b""
        if p & 3 != 1:
            raise Failed("not a list pointer")
        offset = signed_offset(p)
        size, count = (p >> 32) & 7, p >> 35
        width = {0: 0, 1: 1, 2: 8, 3: 16, 4: 32, 5: 64}[size]  # bits per element
        target = at + 8 + 8 * offset
        end = target + (count * width + 7) // 8
        if target < 0 or end > len(self.msg):
            raise Failed("a list pointer points outside the message")
        return size, self.msg[target:end], count

    def data(self, i):
        raw = self.list_raw(i)
        if raw[1] == b"":
            return b""
        size, body, count = raw
        if size != 2:
            raise Failed("not a Data field")
        return bytes(body)

    def u16_list(self, i):
        raw = self.list_raw(i)
        if raw[1] == b"":
            return []
        size, body, count = raw
        if size != 3:
            raise Failed("not a list of 16-bit values")
        return list(struct.unpack_from("<%dH" % count, body))


def root(message):
    if len(message) % 8 or len(message) < 8:
        raise Failed("a Cap'n Proto message is whole words")
    fake = Struct(message, 0, 0, 0, 1)
    return fake.struct(0)


# --- Events --------------------------------------------------------------------------------

class Event:
    """A stored envelope: its signer, signature, and the fields of its signed body we need."""

    def __init__(self, stored):
        env = root(stored)
        self.stored = stored
        self.body = env.data(0)
        self.signer = env.data(1)
        self.signature = env.data(2)
        if len(self.signer) != 32 or len(self.signature) != 64:
            raise Failed("an envelope without a 32-byte signer and a 64-byte signature")
        b = root(self.body)
        self.id = b.data(0)
        self.community = b.u64(0)
        self.author = b.u64(8)
        on_behalf_of = b.u64(32)
        self.actor = on_behalf_of or self.author
        self.kind = b.u16(40)
        self._payload = b.struct(1)

    def verify(self):
        try:
            Ed25519PublicKey.from_public_bytes(self.signer).verify(self.signature,
                                                                   EVENT_TAG + self.body)
            return True
        except InvalidSignature:
            return False

    def leaf_hash(self):
        return leaf_hash_of(self.stored)

    # Payloads (offsets from `capnp compile -ocapnp schemas/event.capnp`).
    def checkpoint(self):
        return self._payload.u64(0), self._payload.data(0)  # tree size, root

    def verdict_root(self):
        return self._payload.data(1)  # a checkpoint's verdict tree root (empty when absent)

    def admitted(self):
        return self._payload.u64(0), self._payload.data(0), self._payload.u16(8)  # member, key, role

    def key_added(self):
        return self._payload.u64(0), self._payload.data(0)  # member, key

    def key_revoked(self):
        return self._payload.u64(0), self._payload.data(0)  # member, key

    def delegation(self):
        # delegate, kinds, expiry on the log's clock (0 = none), grantor (0 = the actor; else
        # the member with no key a coordinator records a proxy for)
        return (self._payload.u64(0), self._payload.u16_list(0), self._payload.i64(8),
                self._payload.u64(16))

    def delegation_revoked(self):
        return self._payload.u64(0), self._payload.u64(8)  # delegate, grantor (as above)

    def claimed(self):
        return self._payload.u64(0), self._payload.i64(8)  # receiver, minutes

    def note_digest(self):
        return self._payload.data(2)  # a claim's note commitment (empty when it has none)

    def confirmed_claim(self):
        return self._payload.data(0)

    def invitation(self):
        # purpose, member, role, verified, code digest, expiry on the log's clock
        p = self._payload
        return p.u16(0), p.u64(8), p.u16(2), p.bit(4, 0), p.data(0), p.i64(16)

    def redemption(self):
        return self._payload.data(0), self._payload.data(1)  # invitation id, code


# --- RFC 9162 inclusion proof ------------------------------------------------------------------

def leaf_hash_of(data):
    return hashlib.sha256(b"\x00" + data).digest()


def verdict_leaf_hash(index, verdict, log_offset, log_time_ms):
    """The verdict tree's leaf i: what the log and the ledger said of event leaf i."""
    return leaf_hash_of(struct.pack(">QHQq", index, verdict, log_offset, log_time_ms))


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def merkle_root(leaves):
    """RFC 6962 MTH over leaf hashes: split at the largest power of two below n."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node_hash(merkle_root(leaves[:k]), merkle_root(leaves[k:]))


def verify_inclusion(leaf, index, size, path, root_hash):
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root_hash


# --- The certificate ----------------------------------------------------------------------------

FORMAT = "uurwerk-hour-certificate/3"
FORMAT_WITHOUT_NOTES = "uurwerk-hour-certificate/2"  # the same, with no revealed notes
NEVER = 1 << 64


def commit_text(salt, text):
    """SHA-256 of the domain tag, a zero byte, the 16-byte salt and the UTF-8 text."""
    return hashlib.sha256(PERSONAL_TAG + b"\x00" + salt + text.encode("utf-8")).digest()


def check_note(note, note_digest, where):
    """A note revealed beside a claim: it must give the commitment the claim signs."""
    if not note_digest:
        raise Failed("%s: a note is revealed beside it, but the claim commits to no note" % where)
    if not isinstance(note, dict) or not isinstance(note.get("salt"), str) \
            or not isinstance(note.get("text"), str):
        raise Failed("%s: its note is not {salt, text}" % where)
    salt = bytes.fromhex(note["salt"])
    if len(salt) != 16:
        raise Failed("%s: its note's salt is not 16 bytes" % where)
    try:
        text = note["text"]
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise Failed("%s: its revealed note is not 1 to %d characters of UTF-8"
                     % (where, TEXT_CHARS_MAX))
    if not 1 <= len(text) <= TEXT_CHARS_MAX or "\x00" in text:
        raise Failed("%s: its revealed note is not 1 to %d characters of UTF-8"
                     % (where, TEXT_CHARS_MAX))
    if commit_text(salt, text) != note_digest:
        raise Failed("%s: its revealed note (salt and text) does not match the note commitment "
                     "the claim signs: a forged note" % where)
    return text


def verify(cert, trusted):
    if cert.get("format") == "uurwerk-hour-certificate/1":
        raise Failed("a certificate of the old format uurwerk-hour-certificate/1 is refused: it "
                     "does not prove that the ledger accepted its events")
    if cert.get("format") not in (FORMAT, FORMAT_WITHOUT_NOTES):
        raise Failed("not an hour certificate of format %s (or %s)"
                     % (FORMAT, FORMAT_WITHOUT_NOTES))
    community, member = int(cert["community"]), int(cert["member"])
    tree_size = int(cert["tree_size"])
    from_ms, to_ms = int(cert["from_ms"]), int(cert["to_ms"])

    cp = Event(base64.b64decode(cert["checkpoint"]))
    if not cp.verify():
        raise Failed("the checkpoint's signature does not verify")
    if cp.signer not in trusted:
        raise Failed("the checkpoint is signed by %s, which is not a trusted node key" % cp.signer.hex())
    if cp.kind != CHECKPOINT or cp.community != community:
        raise Failed("the checkpoint is not a checkpoint of community %d" % community)
    size, root_hash = cp.checkpoint()
    verdict_root = cp.verdict_root()
    if size != tree_size:
        raise Failed("the checkpoint is of %d leaves, the certificate says %d" % (size, tree_size))
    if len(verdict_root) != 32:
        raise Failed("the checkpoint signs no verdict root: nothing shows what the ledger accepted")

    leaves_used, ids_used = set(), set()

    def proved(p, where):
        e = Event(base64.b64decode(p["envelope"]))
        index = int(p["leaf_index"])
        path = [bytes.fromhex(h) for h in p["audit_path"]]
        if not verify_inclusion(e.leaf_hash(), index, tree_size, path, root_hash):
            raise Failed("%s (leaf %d): its inclusion proof does not lead to the checkpoint's root"
                         % (where, index))
        # Its verdict leaf, as accepted (verdict 0): a rejected event proves nothing.
        e.logged = int(p["log_time_ms"])
        verdict = verdict_leaf_hash(index, 0, int(p["log_offset"]), e.logged)
        verdict_path = [bytes.fromhex(h) for h in p["verdict_path"]]
        if not verify_inclusion(verdict, index, tree_size, verdict_path, verdict_root):
            raise Failed("%s (leaf %d): not shown accepted: its verdict proof (as accepted, at "
                         "that log offset and time) does not lead to the checkpoint's verdict "
                         "root" % (where, index))
        if not e.verify():
            raise Failed("%s (leaf %d): the signature does not verify" % (where, index))
        if e.community != community:
            raise Failed("%s: an event of another community" % where)
        # Each event counts once: a claim listed twice would count its minutes twice.
        if index in leaves_used:
            raise Failed("%s (leaf %d): the certificate lists that leaf twice" % (where, index))
        if e.id in ids_used:
            raise Failed("%s (leaf %d): the event %s is listed twice in the certificate"
                         % (where, index, e.id.hex()))
        leaves_used.add(index)
        ids_used.add(e.id)
        e.leaf = index
        return e

    # Keys: key -> [member, bound after leaf, revoked at leaf]. Coordinators: members made so
    # by the founding or their admission. Delegations: (grantor, delegate) -> [[kinds, expiry
    # ms, granted at leaf, ended at leaf, proxy], ...].
    keys, coordinators, delegations = {}, set(), {}
    invitations, redeemed = {}, set()  # listed invitations by id; those redeemed

    def key_at(k, leaf):
        b = keys.get(k)
        return b if b is not None and b[1] < leaf < b[2] else None

    def delegated(grantor, delegate, kind, e):
        if kind not in DELEGABLE:
            return False
        return any(d[2] < e.leaf < d[3] and kind in d[0] and (d[1] == 0 or e.logged < d[1])
                   for d in delegations.get((grantor, delegate), []))

    def as_coordinator(e):
        # A coordinator's powers are their own: never used while acting for another member.
        return e.actor == e.author and e.author in coordinators

    def signer_of(e, where):
        k = key_at(e.signer, e.leaf)
        if k is None or k[0] != e.author:
            raise Failed("%s (leaf %d): signed by a key not bound to member %d at that leaf"
                         % (where, e.leaf, e.author))
        # Acting for another needs their delegation: a coordinator has no power to act for
        # anyone (they record a proxy for a member with no key).
        if e.actor != e.author and not delegated(e.actor, e.author, e.kind, e):
            raise Failed("%s: made for member %d by someone without a delegation for it then"
                         % (where, e.actor))
        return k

    # Bindings in log order, from the founding event at leaf 0.
    bindings = sorted((proved(b, "binding %d" % i) for i, b in enumerate(cert["bindings"])),
                      key=lambda e: e.leaf)
    for e in bindings:
        where = "binding at leaf %d" % e.leaf
        if e.kind == FOUNDED:
            if e.leaf != 0:
                raise Failed("%s: a founding event that is not leaf 0" % where)
            keys[e.signer] = [e.author, 0, NEVER]
            coordinators.add(e.author)
            continue
        if e.kind == REDEEMED:  # the one binding signed by the key it binds
            invitation, code = e.redemption()
            if invitation not in invitations:
                raise Failed("%s: redeems an invitation the certificate does not show issued"
                             % where)
            purpose, m, role, _, code_digest, until = invitations[invitation]
            if hashlib.sha256(INVITATION_TAG + b"\x00" + code).digest() != code_digest:
                raise Failed("%s: the code is not the invitation's" % where)
            if not e.logged < until:
                raise Failed("%s: redeemed after the invitation expired" % where)
            if e.author != m:
                raise Failed("%s: redeemed for another member than the invitation's" % where)
            if invitation in redeemed:
                raise Failed("%s: an invitation redeemed twice" % where)
            redeemed.add(invitation)
            if e.signer in keys:
                raise Failed("%s: redeemed by a key bound before" % where)
            if purpose == JOIN and role == COORDINATOR:
                coordinators.add(m)
            if purpose == REPLACE_KEYS:  # every other key of the member ends here
                for b in keys.values():
                    if b[0] == m:
                        b[2] = min(b[2], e.leaf)
            keys[e.signer] = [m, e.leaf, NEVER]
            continue
        signer_of(e, where)
        coordinator = as_coordinator(e)
        if e.kind == ADMITTED:
            m, k, role = e.admitted()
            if not coordinator:
                raise Failed("%s: an admission not signed by a coordinator" % where)
            if role == COORDINATOR:  # the member's role, whatever keys they get
                coordinators.add(m)
            if k:  # a member admitted without a key of their own binds none
                keys[k] = [m, e.leaf, NEVER]
        elif e.kind == KEY_ADDED:
            m, k = e.key_added()
            if not coordinator and e.actor != m:
                raise Failed("%s: a key added by someone else" % where)
            keys[k] = [m, e.leaf, NEVER]
        elif e.kind == KEY_REVOKED:
            m, k = e.key_revoked()
            if not coordinator and e.actor != m:
                raise Failed("%s: a key revoked by someone else" % where)
            if k in keys and keys[k][0] == m:
                keys[k][2] = min(keys[k][2], e.leaf)
        elif e.kind == INVITED:
            invitation = e.invitation()
            if not coordinator and not (invitation[0] == ADD_DEVICE and e.actor == invitation[1]):
                raise Failed("%s: an invitation issued by neither a coordinator nor the member "
                             "for a device of their own" % where)
            invitations[e.id] = invitation
        elif e.kind == DELEGATED:
            delegate, kinds, expires, grantor = e.delegation()
            # A proxy: a coordinator records it for a member with no key, whose it is.
            proxy = grantor != 0 and grantor != e.actor
            if proxy and not coordinator:
                raise Failed("%s: a proxy delegation not recorded by a coordinator" % where)
            grants = delegations.setdefault((grantor if proxy else e.actor, delegate), [])
            for d in grants:  # a new grant replaces the old
                d[3] = min(d[3], e.leaf)
            grants.append([set(kinds), expires, e.leaf, NEVER, proxy])
        elif e.kind == UNDELEGATED:
            delegate, grantor = e.delegation_revoked()
            proxy = grantor != 0 and grantor != e.actor  # a coordinator ends a proxy, only that
            if proxy and not coordinator:
                raise Failed("%s: a proxy ended by someone not a coordinator" % where)
            for d in delegations.get((grantor if proxy else e.actor, delegate), []):
                if not proxy or d[4]:
                    d[3] = min(d[3], e.leaf)
        else:
            raise Failed("%s: not a founding, admission, key or delegation" % where)

    total, notes = 0, []
    for i, pair in enumerate(cert["claims"]):
        where = "claim %d" % i
        claim = proved(pair["claim"], where)
        conf = proved(pair["confirmation"], where + "'s confirmation")
        if claim.kind != CLAIMED:
            raise Failed("%s: not an hours claim" % where)
        if claim.actor != member:
            raise Failed("%s: claimed by member %d, not %d" % (where, claim.actor, member))
        signer_of(claim, where)
        receiver, minutes = claim.claimed()
        if conf.kind != CONFIRMED or conf.confirmed_claim() != claim.id:
            raise Failed("%s's confirmation does not confirm that claim" % where)
        if conf.leaf <= claim.leaf:
            raise Failed("%s's confirmation comes before the claim" % where)
        if not from_ms <= conf.logged < to_ms:
            raise Failed("%s's confirmation was logged outside the certificate's period" % where)
        signer_of(conf, where + "'s confirmation (the countersignature)")
        # Only the receiver (or their delegate) confirms: never a coordinator in their own name.
        if conf.actor != receiver:
            raise Failed("%s's confirmation is not by the receiver or their delegate" % where)
        if conf.actor == claim.actor or conf.author == claim.actor:
            raise Failed("%s is confirmed by its own claimant" % where)
        if "note" in pair:
            if cert["format"] != FORMAT:
                raise Failed("%s: a revealed note in a certificate of format %s, which has none"
                             % (where, FORMAT_WITHOUT_NOTES))
            notes.append((i, check_note(pair["note"], claim.note_digest(), where)))
        total += minutes
    if total != int(cert["total_minutes"]):
        raise Failed("the certificate states %s minutes, its claims add up to %d"
                     % (cert["total_minutes"], total))
    return len(cert["claims"]), total, root_hash, notes


def main(argv):
    if len(argv) != 4 or argv[2] != "--trust":
        print("usage: verify_certificate.py CERTIFICATE.json --trust NODE_KEY_HEX[,...]",
              file=sys.stderr)
        return 2
    # A revealed note is printed as UTF-8 whatever the locale.
    sys.stdout.reconfigure(encoding="utf-8", errors="backslashreplace")
    trusted = {bytes.fromhex(k) for k in argv[3].split(",") if k}
    try:
        with open(argv[1], encoding="utf-8") as f:
            cert = json.load(f)
        claims, total, root_hash, notes = verify(cert, trusted)
    except Failed as e:
        print("FAILED: %s: %s" % (argv[1], e))
        return 1
    except (OSError, ValueError, KeyError, TypeError, AttributeError, struct.error) as e:
        print("FAILED: %s: not a readable certificate (%s)" % (argv[1], e))
        return 1
    print("OK: %s: member %s of community %s gave %d minutes of help in %d confirmed claims "
          "(tree root %s)" % (argv[1], cert["member"], cert["community"], total, claims,
                               root_hash.hex()))
    for i, text in notes:  # control characters shown as '?': the member's text, not the terminal's
        shown = "".join("?" if ord(ch) < 0x20 or ord(ch) == 0x7F else ch for ch in text)
        print("  claim %d's note (revealed, matches its commitment): %s" % (i, shown))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

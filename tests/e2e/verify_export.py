#!/usr/bin/env python3
"""An independent checker of uurwerk audit exports, written from ledger/FORMAT.md alone.

It checks what an export's signatures and checkpoints commit to, without uurwerk's code: every
envelope's signature, every record's community, the event tree and the verdict tree (verdicts,
log offsets and log times) rebuilt leaf by leaf against every checkpoint a trusted node key
signed, that nothing is counted beyond the last such checkpoint (the unverified tail), and that
the export reaches a checkpoint the auditor expects.
It does not replay the ledger rules (uurwerk's `audit verify` does): it shows that the records
are the ones the node signed for.

usage: verify_export.py EXPORT --trust NODE_KEY_HEX[,...]
                        [--expect SIZE:ROOTHEX[:VERDICTROOTHEX]] [--allow-unverified-tail]
Exit 0 and "OK: ..." when the export holds; 1 and "FAILED: <what and where>" when not; 2 for a
usage error.
"""
import struct
import sys

from verify_certificate import (CHECKPOINT, KEY_REVOKED, Event, Failed, leaf_hash_of,
                                merkle_root, verdict_leaf_hash)

MAGIC = b"UWAUDIT2"
RECORD_HEADER = struct.Struct(">QqHI")  # log offset, log time ms, verdict, envelope length


def records(data):
    if data[:8] == b"UWAUDIT1":
        raise Failed("an export of the old format UWAUDIT1 is refused: its checkpoints sign no "
                     "verdicts or log times; export the log again")
    if len(data) < 16 or data[:8] != MAGIC:
        raise Failed("not a uurwerk export: it does not start with %s" % MAGIC.decode())
    community = struct.unpack_from(">Q", data, 8)[0]
    pos, out = 16, []
    while pos < len(data):
        if len(data) - pos < RECORD_HEADER.size:
            raise Failed("record %d (at byte %d) is cut short" % (len(out), pos))
        at, time_ms, verdict, n = RECORD_HEADER.unpack_from(data, pos)
        pos += RECORD_HEADER.size
        if n == 0 or n > 4096 or len(data) - pos < n:
            raise Failed("record %d has a broken envelope length %d" % (len(out), n))
        out.append((at, time_ms, verdict, data[pos:pos + n]))
        pos += n
    return community, out


def check(data, trusted, expect, allow_tail):
    community, recs = records(data)
    leaves, verdicts, trusted_checkpoints, attested = [], [], set(), 0
    revoked_node_keys = set()  # by accepted keyRevoked events of member 0's keys
    for i, (at, time_ms, verdict, stored) in enumerate(recs):
        where = "record %d (log offset %d)" % (i, at)
        e = Event(stored)
        if not e.verify():
            raise Failed("%s: the signature does not verify" % where)
        if e.community != community:
            raise Failed("%s: belongs to community %d, not %d" % (where, e.community, community))
        if e.kind == CHECKPOINT and verdict == 0:
            if e.signer not in trusted:
                raise Failed("%s: a checkpoint signed by %s, which is not a trusted node key"
                             % (where, e.signer.hex()))
            if e.signer in revoked_node_keys:
                raise Failed("%s: a checkpoint signed by node key %s after its revocation in "
                             "the log" % (where, e.signer.hex()))
            size, root_hash = e.checkpoint()
            if size > i:
                raise Failed("%s: a checkpoint of %d leaves, but only %d events precede it"
                             % (where, size, i))
            if merkle_root(leaves[:size]) != root_hash:
                raise Failed("%s: a checkpoint of %d leaves whose root is not the export's"
                             % (where, size))
            if merkle_root(verdicts[:size]) != e.verdict_root():
                raise Failed("%s: a checkpoint of %d leaves whose verdict root is not the "
                             "export's: its verdicts, log offsets or log times are not what the "
                             "node signed" % (where, size))
            trusted_checkpoints.add(i)
            attested = max(attested, size)
        if e.kind == KEY_REVOKED and verdict == 0 and e.key_revoked()[0] == 0:
            revoked_node_keys.add(e.key_revoked()[1])
        leaves.append(leaf_hash_of(stored))
        verdicts.append(verdict_leaf_hash(i, verdict, at, time_ms))
    if expect is not None:
        size, root_hash, verdict_root = expect
        if size > len(recs):
            raise Failed("the export holds %d events, fewer than the %d of the checkpoint you "
                         "expect: it is cut short" % (len(recs), size))
        if merkle_root(leaves[:size]) != root_hash:
            raise Failed("the export's first %d events do not give the root of the checkpoint "
                         "you expect" % size)
        if verdict_root is not None and merkle_root(verdicts[:size]) != verdict_root:
            raise Failed("the export's first %d events give a verdict root that is not the "
                         "verdict root of the checkpoint you expect: their verdicts, log offsets "
                         "or log times are not what the node signed" % size)
    tail = [i for i in range(attested, len(recs)) if i not in trusted_checkpoints]
    if tail and not allow_tail:
        raise Failed("%d events from record %d on are beyond the last trusted checkpoint (of %d "
                     "events): they are not verified" % (len(tail), tail[0], attested))
    return community, len(recs), attested, len(tail), merkle_root(leaves)


def main(argv):
    args, trusted, expect, allow_tail = argv[1:], None, None, False
    path = args.pop(0) if args and not args[0].startswith("--") else None
    while args:
        flag = args.pop(0)
        if flag == "--allow-unverified-tail":
            allow_tail = True
        elif flag == "--trust" and args:
            trusted = {bytes.fromhex(k) for k in args.pop(0).split(",") if k}
        elif flag == "--expect" and args:
            parts = args.pop(0).split(":")
            if len(parts) not in (2, 3):
                path = None
                break
            expect = (int(parts[0]), bytes.fromhex(parts[1]),
                      bytes.fromhex(parts[2]) if len(parts) == 3 else None)
        else:
            path = None
            break
    if path is None or trusted is None:
        print(__doc__.split("\n\n")[2], file=sys.stderr)
        return 2
    try:
        with open(path, "rb") as f:
            community, n, attested, tail, root_hash = check(f.read(), trusted, expect, allow_tail)
    except Failed as e:
        print("FAILED: %s: %s" % (path, e))
        return 1
    except (OSError, ValueError, KeyError, TypeError, struct.error) as e:
        print("FAILED: %s: not a readable export (%s)" % (path, e))
        return 1
    print("OK: %s: community %d, %d events, root %s; the last checkpoint covers %d%s"
          % (path, community, n, root_hash.hex(), attested,
             "; %d events after it are NOT verified" % tail if tail else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

#!/usr/bin/env python3
"""A client that is not uurwerk's C++ code: Python with the `cryptography` package builds events
as JSON, asks the server for their canonical bytes, signs them with Ed25519 and submits them; and
signs in to read, with a session statement built from api/README.md ("Sessions") alone.

Usage: python_client_test.py PATH_TO_UURWERK_BINARY
Starts `uurwerk serve` on a free loopback port in a temporary folder and stops it at the end.
"""
import base64
import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import http.client
import urllib.request

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

DOMAIN_TAG = b"uurwerk/event/v1"
SESSION_TAG = b"uurwerk/session/v1"
PERSONAL_TAG = b"uurwerk/personal/v1"


class Client:
    def __init__(self, base):
        self.base = base

    def call(self, method, path, body=None, token=None, headers=None):
        data = None if body is None else json.dumps(body).encode()
        sent = {"Content-Type": "application/json"}
        if token is not None:
            sent["Authorization"] = "Bearer " + token
        sent.update(headers or {})
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=sent)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                self.last_headers = r.headers
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            self.last_headers = e.headers
            return e.code, json.loads(e.read())


class Member:
    def __init__(self, client, community, member_id):
        self.client = client
        self.community = community
        self.member_id = member_id
        self.key = Ed25519PrivateKey.generate()
        self.public_hex = self.key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()
        self.seq = 0

    def session(self, expires_in_ms=3600 * 1000, community=None, member=None, key=None):
        """A session token as api/README.md, "Sessions", defines it."""
        public = (key or self.key).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        expires_at_ms = int(time.time() * 1000) + expires_in_ms
        statement = struct.pack(">QQ32sQ16s", community or self.community,
                                member or self.member_id, public, expires_at_ms, os.urandom(16))
        signature = self.key.sign(SESSION_TAG + statement)
        return base64.b64encode(statement + signature).decode()

    def submit(self, kind, payload, on_behalf_of=0, text=None, salt=None):
        """`text`: (field, text): the body commits to the text in `field + "Digest"` and the text
        travels beside the envelope, as api/README.md, "Free texts", says."""
        self.seq += 1
        personal = None
        if text is not None:
            field, words = text
            salt = salt or os.urandom(16)
            payload = dict(payload)
            payload[field + "Digest"] = hashlib.sha256(
                PERSONAL_TAG + b"\0" + salt + words.encode()).hexdigest()
            personal = {"salt": salt.hex(), "text": words}
        body = {
            "id": os.urandom(16).hex(),
            "community": str(self.community),
            "author": str(self.member_id),
            "seq": str(self.seq),
            "createdAtMs": "1700000000000",
            "onBehalfOf": str(on_behalf_of),
            kind: payload,
        }
        status, canonical = self.client.call("POST", "/v1/canonical", body)
        assert status == 200, (status, canonical)
        assert canonical["id"] == body["id"]
        body_bytes = base64.b64decode(canonical["body"])
        signature = self.key.sign(DOMAIN_TAG + body_bytes)
        envelope = {"body": canonical["body"], "signer": self.public_hex,
                    "signature": signature.hex()}
        if personal is not None:
            envelope["personal"] = personal
        status, answer = self.client.call("POST", "/v1/events", envelope)
        return status, answer, body["id"], envelope


checks = {"passed": 0, "failed": 0}


def check(condition, what):
    if condition:
        checks["passed"] += 1
    else:
        checks["failed"] += 1
        print("FAILED:", what, flush=True)


def main():
    binary = sys.argv[1]
    folder = tempfile.mkdtemp(prefix="uurwerk-python-")
    server = subprocess.Popen([binary, "serve", "--data", os.path.join(folder, "data"),
                               "--listen", "127.0.0.1:0"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        base = None
        for line in server.stdout:
            if "http://127.0.0.1:" in line:
                base = "http://127.0.0.1:" + line.split("http://127.0.0.1:")[1].split()[0].strip()
                break
        assert base, "the server did not say where it listens"
        client = Client(base)

        anna = Member(client, 42, 1)
        # Founding needs the operator's consent: refused first, then allowed on the node's machine.
        status, answer, _, _ = anna.submit("communityFounded", {
            "name": "Tijdbank Zuid",
            "policy": {"creditLimitMinutes": "300", "balanceMaxMinutes": "3000",
                       "claimMinutesMax": "480"}})
        check(status == 403 and answer["error"]["code"] == "founding_not_allowed",
              ("found without consent", status, answer))
        anna.seq -= 1
        subprocess.run([binary, "allow-founder", "--data", os.path.join(folder, "data"),
                        "--public-key", anna.public_hex], check=True, stdout=subprocess.DEVNULL)
        status, answer, _, _ = anna.submit("communityFounded", {
            "name": "Tijdbank Zuid",
            "policy": {"creditLimitMinutes": "300", "balanceMaxMinutes": "3000",
                       "claimMinutesMax": "480"}})
        check(status == 200 and answer["verdict"] == "accepted", ("found", status, answer))

        bert = Member(client, 42, 2)
        status, answer, _, _ = anna.submit("memberAdmitted", {
            "member": "2", "key": bert.public_hex, "role": "member", "verified": True})
        check(status == 200, ("admit", status, answer))

        # A text in the body itself is refused: only its commitment may be in the log.
        status, answer = client.call("POST", "/v1/canonical", {
            "id": os.urandom(16).hex(), "community": "42", "author": "2", "seq": "1",
            "requestPosted": {"category": "companionship", "text": "Een wandeling op zondag"}})
        check(status == 400 and answer["error"]["code"] == "bad_event",
              ("text in the body", status, answer))
        status, answer, request_id, _ = bert.submit("requestPosted", {
            "category": "companionship", "intensity": "regularly", "area": "1091",
            "availability": 0}, text=("text", "Een wandeling op zondag, café"))
        check(status == 200 and answer["verdict"] == "accepted", ("request", status, answer))
        # Reading needs a session: without one 401, with one 200.
        status, answer = client.call("GET", "/v1/communities/42/requests?category=companionship")
        check(status == 401 and answer["error"]["code"] == "unauthenticated",
              ("no session", status, answer))
        status, listed = client.call("GET", "/v1/communities/42/requests?category=companionship",
                                     token=bert.session())
        check(status == 200 and [p["id"] for p in listed["posts"]] == [request_id],
              ("requests", status, listed))
        check(listed["posts"][0]["text"] == "Een wandeling op zondag, café", ("text", listed))

        status, answer, claim_id, envelope = anna.submit("hoursClaimed", {
            "receiver": "2", "minutes": "75"}, text=("note", "wandeling"))
        check(status == 200, ("claim", status, answer))
        status, answer, _, _ = bert.submit("hoursConfirmed", {"claim": claim_id})
        check(status == 200 and answer["verdict"] == "accepted", ("confirm", status, answer))
        # Anna signs in and reads her own balance; Bert may read his, not hers.
        anna_token = anna.session()
        status, balance = client.call("GET", "/v1/communities/42/members/1/balance",
                                      token=anna_token)
        check(status == 200 and balance["balance_minutes"] == 75, ("balance", status, balance))
        status, balance = client.call("GET", "/v1/communities/42/members/2/balance",
                                      token=bert.session())
        check(status == 200 and balance["balance_minutes"] == -75, ("own balance", status, balance))
        status, answer = client.call("GET", "/v1/communities/42/members/1/balance",
                                     token=bert.session())
        check(status == 403 and answer["error"]["code"] == "forbidden",
              ("another's balance", status, answer))
        # Refused sessions: expired, more than a day ahead, another community's, signed by a key
        # that is not the member's, a byte changed.
        for what, token in [
                ("expired", anna.session(expires_in_ms=-1000)),
                ("a day and more", anna.session(expires_in_ms=25 * 3600 * 1000)),
                ("not the member's key", bert.session(member=1)),
                ("changed", anna_token[:20] + ("A" if anna_token[20] != "A" else "B") +
                 anna_token[21:])]:
            status, answer = client.call("GET", "/v1/communities/42/members/1/balance",
                                         token=token)
            check(status == 401 and answer["error"]["code"] == "unauthenticated",
                  (what, status, answer))
        status, answer = client.call("GET", "/v1/communities/42/members/1/balance",
                                     token=anna.session(community=43))
        check(status == 403 and answer["error"]["code"] == "forbidden",
              ("another community", status, answer))
        # A browser trades the token for an HttpOnly, SameSite=Strict cookie, which reads alike.
        status, answer = client.call("POST", "/v1/session", {"token": anna_token})
        cookie = client.last_headers.get("Set-Cookie", "")
        check(status == 200 and answer["member"] == "1" and "HttpOnly" in cookie and
              "SameSite=Strict" in cookie, ("sign in", status, answer, cookie))
        status, balance = client.call("GET", "/v1/communities/42/members/1/balance",
                                      headers={"Cookie": cookie.split(";")[0]})
        check(status == 200 and balance["balance_minutes"] == 75, ("cookie", status, balance))

        # A profile, from api/README.md, "Profiles": the document is the committed text.
        document = "name=Bert Visser\nphone=06 5550 1234\nlanguages=nl,en\n"
        status, answer, _, _ = bert.submit("profileUpdated", {"member": "2"},
                                           text=("profile", document))
        check(status == 200 and answer["verdict"] == "accepted", ("profile", status, answer))
        status, answer, _, _ = bert.submit("profileUpdated", {"member": "2"},
                                           text=("profile", "Bert, 06 5550 1234"))
        check(status == 400 and answer["error"]["code"] == "personal_data_mismatch",
              ("not a profile document", status, answer))
        bert.seq -= 1  # refused before the log: the sequence number was not used
        status, card = client.call("GET", "/v1/communities/42/members/2/profile",
                                   token=anna.session())
        check(status == 200 and card["display_name"] == "Bert Visser" and "phone" not in card,
              ("profile as another member sees it", status, card))
        status, answer = client.call("GET", "/v1/communities/42/members/2/contact",
                                     token=anna.session())
        check(status == 200 and answer["phone"] == "06 5550 1234",
              ("contact as a coordinator", status, answer))
        status, export = client.call("GET", "/v1/communities/42/members/2/export",
                                     token=bert.session())
        check(status == 200 and export["profile"]["languages"] == ["nl", "en"] and
              any(t["text"] == document for t in export["texts"]) and len(export["history"]) > 0,
              ("export", status, export))

        # A live page, from api/README.md, "Live: the event stream": `ready`, then a `change` for
        # the member's own event, with the event's offset as its id.
        host, port = client.base[len("http://"):].split(":")
        live = http.client.HTTPConnection(host, int(port), timeout=30)
        live.request("GET", "/v1/communities/42/members/2/stream",
                     headers={"Authorization": "Bearer " + bert.session()})
        stream = live.getresponse()
        check(stream.status == 200 and
              stream.getheader("Content-Type", "").startswith("text/event-stream"),
              ("stream", stream.status))

        def next_event():
            fields = {}
            while True:
                line = stream.readline().decode()
                if line in ("\n", ""):
                    if fields or line == "":
                        return fields
                    continue
                if line.startswith(":"):
                    continue  # a comment (the heartbeat)
                name, _, value = line.rstrip("\n").partition(": ")
                fields[name] = value

        ready = next_event()
        if ready.get("retry"):
            ready = next_event()
        check(ready.get("event") == "ready" and json.loads(ready["data"])["member"] == "2",
              ("ready", ready))
        status, answer, _, _ = bert.submit("offerPosted", {
            "category": "companionship", "intensity": "regularly", "area": "3512", "availability": 0})
        check(status == 200, ("an offer to see live", status, answer))
        change = next_event()
        data = json.loads(change.get("data", "{}"))
        check(change.get("event") == "change" and change.get("id") == answer["offset"] and
              data.get("id") == answer["id"] and data.get("kind") == "offerPosted",
              ("change", change, answer))
        live.close()

        # The same event again answers its first verdict; a forged one is refused.
        status, answer = client.call("POST", "/v1/events", envelope)
        check(status == 200 and answer["duplicate"] is True, ("replay", status, answer))
        forged = dict(envelope, signature=("00" * 64))
        status, answer = client.call("POST", "/v1/events", forged)
        check(status == 400 and answer["error"]["code"] == "bad_signature", ("forged", status, answer))

        # The ledger's own verdicts come back as reason codes.
        status, answer, _, _ = bert.submit("hoursConfirmed", {"claim": claim_id})
        check(status == 409 and answer["reason"] == "claim_not_pending", ("twice", status, answer))
        status, answer, _, _ = anna.submit("hoursConfirmed", {"claim": claim_id})
        check(status == 409 and answer["reason"] == "cannot_confirm_own_claim", ("own", status, answer))

        # Bad JSON is a clean 400, never a crash.
        status, answer = client.call("POST", "/v1/canonical", {"id": "zz"})
        check(status == 400 and "error" in answer, ("bad hex", status, answer))
        status, health = client.call("GET", "/v1/health")
        check(status == 200 and health["status"] == "ok", ("health", status, health))
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(folder, ignore_errors=True)
    print(f"{checks['passed']} passed, {checks['failed']} failed")
    return 0 if checks["failed"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""A client that is not uurwerk's C++ code: Python with the `cryptography` package builds events
as JSON, asks the server for their canonical bytes, signs them with Ed25519 and submits them.

Usage: python_client_test.py PATH_TO_UURWERK_BINARY
Starts `uurwerk serve` on a free loopback port in a temporary folder and stops it at the end.
"""
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

DOMAIN_TAG = b"uurwerk/event/v1"


class Client:
    def __init__(self, base):
        self.base = base

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())


class Member:
    def __init__(self, client, community, member_id):
        self.client = client
        self.community = community
        self.member_id = member_id
        self.key = Ed25519PrivateKey.generate()
        self.public_hex = self.key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()
        self.seq = 0

    def submit(self, kind, payload, on_behalf_of=0):
        self.seq += 1
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

        status, answer, request_id, _ = bert.submit("requestPosted", {
            "category": "companionship", "text": "Een wandeling op zondag",
            "intensity": "regularly", "area": "1091", "availability": 0})
        check(status == 200 and answer["verdict"] == "accepted", ("request", status, answer))
        status, listed = client.call("GET", "/v1/communities/42/requests?category=companionship")
        check(status == 200 and [p["id"] for p in listed["posts"]] == [request_id],
              ("requests", status, listed))

        status, answer, claim_id, envelope = anna.submit("hoursClaimed", {
            "receiver": "2", "minutes": "75", "note": "wandeling"})
        check(status == 200, ("claim", status, answer))
        status, answer, _, _ = bert.submit("hoursConfirmed", {"claim": claim_id})
        check(status == 200 and answer["verdict"] == "accepted", ("confirm", status, answer))
        status, balance = client.call("GET", "/v1/communities/42/members/1/balance")
        check(status == 200 and balance["balance_minutes"] == 75, ("balance", status, balance))

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

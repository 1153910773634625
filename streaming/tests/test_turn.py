from __future__ import annotations

import base64
import hashlib
import hmac

from streaming.turn import TurnSecret, ice_servers_for

TURN = TurnSecret(("turn:turn.example.org:3478", "turns:turn.example.org:5349"), "s3cret", 3600)
STUN = ({"urls": ["stun:stun.example.org:3478"]},)


def test_credentials_follow_coturns_rest_scheme() -> None:
    issued = TURN.credentials("rbs-user-7", now=1_700_000_000)
    assert issued["username"] == "1700003600:rbs-user-7"
    expected = hmac.new(b"s3cret", b"1700003600:rbs-user-7", hashlib.sha1).digest()
    assert base64.b64decode(issued["credential"]) == expected
    assert issued["urls"] == list(TURN.urls)


def test_each_viewer_gets_its_own_and_static_servers_are_kept() -> None:
    alice = ice_servers_for(STUN, TURN, "rbs-user-1")
    bob = ice_servers_for(STUN, TURN, "rbs-user-2")
    assert alice[0] == bob[0] == STUN[0]
    assert alice[1]["credential"] != bob[1]["credential"]
    assert ice_servers_for(STUN, None, "rbs-user-1") == list(STUN)

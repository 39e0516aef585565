"""Sign-In with Ethereum against the real API on both databases, with dev accounts' keys."""

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from conftest import dev_account, sign_text, siwe_text
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from backend.models import AuthNonce, AuthSession
from backend.services.auth import SiweMessageFormatError, format_siwe_message, parse_siwe_message

# The example of EIP-4361, verbatim.
EIP_EXAMPLE = """service.org wants you to sign in with your Ethereum account:
0xe5A12547fe4E872D192E3eCecb76F2Ce1aeA4946

I accept the ServiceOrg Terms of Service: https://service.org/tos

URI: https://service.org/login
Version: 1
Chain ID: 1
Nonce: 32891756
Issued At: 2021-09-30T16:25:24Z
Resources:
- ipfs://bafybeiemxf5abjwjbikoz4mc3a3dla6ual3jsgpdr4cjr3oz3evfyavhwq/
- https://example.com/my-web2-claim.json"""


def test_the_parser_reads_the_eip_example_and_formats_it_back_byte_for_byte() -> None:
    message = parse_siwe_message(EIP_EXAMPLE)
    assert message.domain == "service.org"
    assert message.address == "0xe5A12547fe4E872D192E3eCecb76F2Ce1aeA4946"
    assert message.statement == "I accept the ServiceOrg Terms of Service: https://service.org/tos"
    assert message.chain_id == 1
    assert message.nonce == "32891756"
    assert message.issued_at == datetime(2021, 9, 30, 16, 25, 24, tzinfo=UTC)
    assert len(message.resources) == 2
    assert format_siwe_message(message) == EIP_EXAMPLE
    without_statement = EIP_EXAMPLE.replace("I accept the ServiceOrg Terms of Service: https://service.org/tos\n", "")
    assert parse_siwe_message(without_statement).statement is None


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (
            lambda text: text.replace(
                "0xe5A12547fe4E872D192E3eCecb76F2Ce1aeA4946", "0xe5a12547fe4e872d192e3ececb76f2ce1aea4946"
            ),
            "checksum",
        ),
        (lambda text: text.replace("Version: 1", "Version: 2"), "version"),
        (lambda text: text.replace("Nonce: 32891756", "Nonce: 1234"), "nonce"),
        (lambda text: text.replace("Chain ID: 1", "Chain ID: 01"), "Chain ID"),
        (lambda text: text.replace("2021-09-30T16:25:24Z", "2021-09-30 16:25:24"), "RFC 3339"),
        (lambda text: text.replace("\n", "\r\n"), "LF"),
        (lambda text: text + "\nExtra: field", "unexpected line"),
        (
            lambda text: text.replace(
                "URI: https://service.org/login\nVersion: 1\n", "Version: 1\nURI: https://service.org/login\n"
            ),
            "URI",
        ),
        (lambda text: text.replace(" wants you to sign in", " wants you to log in"), "line 1"),
    ],
)
def test_the_parser_refuses_any_deviation_from_the_grammar(change: Any, reason: str) -> None:
    with pytest.raises(SiweMessageFormatError, match=reason):
        parse_siwe_message(change(EIP_EXAMPLE))


def _login(client: Any, text: str, signature: str) -> Any:
    return client.post("/api/auth/login", json={"message": text, "signature": signature})


def test_a_signed_message_opens_a_session_usable_by_cookie_and_by_bearer(make_api: Any, engine: Engine) -> None:
    api = make_api()
    alice = dev_account(1)
    with api.client() as client:
        issued = client.post("/api/auth/nonce")
        assert issued.status_code == 200
        nonce = issued.json()
        assert nonce["domain"] == "app.crowdbounty.test"
        assert nonce["uri"] == "https://app.crowdbounty.test"
        assert nonce["chain_id"] == 1337
        text = siwe_text(alice.address, nonce["nonce"])
        response = _login(client, text, sign_text(alice, text))
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["address"] == alice.address
        cookie = response.headers["set-cookie"]
        assert "HttpOnly" in cookie
        assert "SameSite=lax" in cookie
        assert client.get("/api/auth/me").json()["address"] == alice.address  # the cookie
    with api.client() as bearer:
        assert bearer.get("/api/auth/me").status_code == 401
        me = bearer.get("/api/auth/me", headers={"Authorization": f"Bearer {body['token']}"})
        assert me.status_code == 200
        assert me.json()["address"] == alice.address
    with Session(engine) as session:
        stored = session.scalars(select(AuthSession)).one()
        assert stored.token_hash != body["token"]
        assert body["token"] not in stored.token_hash


def test_a_used_nonce_cannot_be_replayed_even_concurrently(make_api: Any) -> None:
    api = make_api()
    alice = dev_account(1)
    with api.client() as client:
        nonce = client.post("/api/auth/nonce").json()["nonce"]
        text = siwe_text(alice.address, nonce)
        signature = sign_text(alice, text)
        with ThreadPoolExecutor(4) as pool:
            statuses = sorted(pool.map(lambda _: _login(client, text, signature).status_code, range(4)))
        assert statuses == [200, 401, 401, 401]
        replay = _login(client, text, signature)
        assert replay.status_code == 401
        assert "already used" in replay.json()["detail"]


def test_an_expired_or_unknown_nonce_is_refused(make_api: Any, engine: Engine) -> None:
    api = make_api()
    alice = dev_account(1)
    with api.client() as client:
        nonce = client.post("/api/auth/nonce").json()["nonce"]
        with Session(engine) as session, session.begin():
            session.execute(update(AuthNonce).values(expires_at=int(time.time()) - 1))
        text = siwe_text(alice.address, nonce)
        expired = _login(client, text, sign_text(alice, text))
        assert expired.status_code == 401
        assert "expired" in expired.json()["detail"]
        text = siwe_text(alice.address, "0123456789abcdef")
        unknown = _login(client, text, sign_text(alice, text))
        assert unknown.status_code == 401
        assert "not issued" in unknown.json()["detail"]


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"chain_id": 1}, "chain 1; the contracts are on chain 1337"),
        ({"domain": "evil.example"}, "domain 'evil.example'"),
        ({"uri": "https://evil.example"}, "URI 'https://evil.example'"),
        ({"expiration_time": datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=5)}, "expired"),
        ({"not_before": datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)}, "not valid yet"),
        ({"issued_at": datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)}, "future"),
    ],
)
def test_a_message_for_another_chain_domain_uri_or_time_is_refused(
    make_api: Any, fields: dict[str, Any], reason: str
) -> None:
    api = make_api()
    alice = dev_account(1)
    with api.client() as client:
        nonce = client.post("/api/auth/nonce").json()["nonce"]
        text = siwe_text(alice.address, nonce, **fields)
        response = _login(client, text, sign_text(alice, text))
        assert response.status_code == 401
        assert reason in response.json()["detail"]
        # The nonce survives a refused message: the genuine one still signs in.
        text = siwe_text(alice.address, nonce)
        assert _login(client, text, sign_text(alice, text)).status_code == 200


def test_a_signature_by_another_key_or_a_garbled_one_is_refused(make_api: Any) -> None:
    api = make_api()
    alice, mallory = dev_account(1), dev_account(2)
    with api.client() as client:
        nonce = client.post("/api/auth/nonce").json()["nonce"]
        text = siwe_text(alice.address, nonce)
        forged = _login(client, text, sign_text(mallory, text))
        assert forged.status_code == 401
        assert f"not by {alice.address}" in forged.json()["detail"]
        garbled = _login(client, text, "0x" + "11" * 65)
        assert garbled.status_code == 401
        malformed = _login(client, "hello", sign_text(alice, "hello"))
        assert malformed.status_code == 400
        assert client.get("/api/auth/me").status_code == 401


def test_a_session_ends_at_its_expiry_and_at_logout(make_api: Any, engine: Engine) -> None:
    api = make_api()
    alice = dev_account(1)
    with api.client() as client:
        token = api.sign_in(client, alice)
        bearer = {"Authorization": f"Bearer {token}"}
        with Session(engine) as session, session.begin():
            session.execute(update(AuthSession).values(expires_at=int(time.time()) - 1))
        expired = client.get("/api/auth/me", headers=bearer)
        assert expired.status_code == 401
        assert "expired" in expired.json()["detail"]
        assert expired.headers["www-authenticate"] == "Bearer"

        token = api.sign_in(client, alice)
        bearer = {"Authorization": f"Bearer {token}"}
        assert client.get("/api/auth/me", headers=bearer).status_code == 200
        logout = client.post("/api/auth/logout", headers=bearer)
        assert logout.status_code == 204
        assert client.get("/api/auth/me", headers=bearer).status_code == 401
        assert client.post("/api/auth/logout", headers=bearer).status_code == 401


def test_auth_routes_are_rate_limited_per_client_with_retry_after(make_api: Any) -> None:
    api = make_api(rate_limit_auth_per_ip=3, rate_limit_window_s=3600)
    with api.client() as client:
        assert [client.post("/api/auth/nonce").status_code for _ in range(3)] == [200, 200, 200]
        limited = client.post("/api/auth/nonce")
        assert limited.status_code == 429
        assert 0 < int(limited.headers["retry-after"]) <= 3600
        assert client.post("/api/auth/login", json={"message": "x", "signature": "0x"}).status_code == 429
        assert client.get("/api/auth/me").status_code == 401  # reads are not limited


def test_write_routes_are_rate_limited_per_signed_in_address(make_api: Any) -> None:
    api = make_api(rate_limit_write_per_address=2, rate_limit_write_per_ip=100, rate_limit_window_s=3600)
    with api.client() as client:
        alice = {"Authorization": f"Bearer {api.sign_in(client, dev_account(1))}"}
        bob = {"Authorization": f"Bearer {api.sign_in(client, dev_account(2))}"}
        mark = {"up_to_id": 0}
        assert [client.post("/api/notifications/read", json=mark, headers=alice).status_code for _ in range(3)] == [
            200,
            200,
            429,
        ]
        assert client.post("/api/notifications/read", json=mark, headers=bob).status_code == 200

"""Password sign-in throttling and lockout on ``POST /v3/auth/tokens`` (issue 8, item 5), on a
live server whose wall clock the tests move (never sleeping): 30 wrong passwords then the right
one, unlocking after the lockout, resets on success, concurrent guesses, the per-source limit,
and a lock that looks the same whether or not the user exists."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import httpx
import pytest

from partner_center.domains.partners.public import PartnerType
from partner_center.kernel.clock import WallClock
from tests.dbutil import create_fresh_database, drop_database, migrate
from tests.harness import LiveServer, Partner, unique
from tests.sdk.test_iam import password_token

PASSWORD = "Partner-Pass1"
LOCKOUT = timedelta(minutes=15)


class MovableWall(WallClock):
    """Real time plus an offset the test moves forward."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return super().now() + self.offset


def live_server(**settings: object) -> Iterator[LiveServer]:
    url, pg_name = asyncio.run(create_fresh_database())
    migrate(url)
    live = LiveServer(url, wall=MovableWall(), **settings)
    live.start()
    yield live
    live.stop()
    asyncio.run(drop_database(pg_name))


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    # Every request here comes from 127.0.0.1: the per-source limit has a server of its own.
    yield from live_server(sign_in_source_max_failures=0)


def move_wall(server: LiveServer, delta: timedelta) -> None:
    wall = server.state.wall
    assert isinstance(wall, MovableWall)
    wall.offset += delta


@pytest.fixture
def partner(server: LiveServer) -> Partner:
    return server.partner(PartnerType.CSP, password=PASSWORD)


def sign_in(server: LiveServer, name: str, password: str) -> tuple[int, str]:
    response = password_token(server, name, name, password)
    if response.status_code == 201:
        return 201, "ok"
    return response.status_code, response.json()["error_code"]


def test_thirty_wrong_passwords_then_the_right_one_is_refused(
    server: LiveServer, partner: Partner
) -> None:
    name = partner.creds.domain_name
    answers = [sign_in(server, name, f"Wrong-Pass{i}") for i in range(30)]
    assert answers == [(401, "IAM.0001")] * 5 + [(401, "IAM.0004")] * 25
    locked = password_token(server, name, name, PASSWORD)
    assert locked.status_code == 401
    assert locked.json() == {
        "error_code": "IAM.0004",
        "error_msg": "The account is locked. Try again in 15 minute(s).",
    }
    assert "X-Subject-Token" not in locked.headers


def test_a_lock_says_nothing_about_whether_the_user_exists(
    server: LiveServer, partner: Partner
) -> None:
    real, ghost = partner.creds.domain_name, unique("nobody")
    answers = {
        name: [password_token(server, name, name, "Wrong-Pass1") for _ in range(6)]
        for name in (real, ghost)
    }
    bodies = {name: [(r.status_code, r.json()) for r in rs] for name, rs in answers.items()}
    assert bodies[real] == bodies[ghost]
    assert bodies[real][-1][1]["error_code"] == "IAM.0004"


def test_the_lock_ends_after_the_lockout(server: LiveServer, partner: Partner) -> None:
    name = partner.creds.domain_name
    for _ in range(5):
        sign_in(server, name, "Wrong-Pass1")
    move_wall(server, LOCKOUT - timedelta(seconds=5))
    assert sign_in(server, name, PASSWORD) == (401, "IAM.0004")
    move_wall(server, timedelta(seconds=5))
    assert sign_in(server, name, PASSWORD) == (201, "ok")


def test_a_success_resets_the_count(server: LiveServer, partner: Partner) -> None:
    name = partner.creds.domain_name
    for _ in range(3):
        assert [sign_in(server, name, "Wrong-Pass1") for _ in range(4)] == [(401, "IAM.0001")] * 4
        assert sign_in(server, name, PASSWORD) == (201, "ok")
    # the count was reset, not ignored: five in a row still lock
    assert [sign_in(server, name, "Wrong-Pass1") for _ in range(5)] == [(401, "IAM.0001")] * 5
    assert sign_in(server, name, PASSWORD) == (401, "IAM.0004")


def test_concurrent_wrong_attempts_are_each_counted(server: LiveServer, partner: Partner) -> None:
    name = partner.creds.domain_name
    with ThreadPoolExecutor(max_workers=10) as pool:
        answers = list(pool.map(lambda i: sign_in(server, name, f"Wrong-Pass{i}"), range(10)))
    assert sorted(answers) == [(401, "IAM.0001")] * 5 + [(401, "IAM.0004")] * 5
    assert sign_in(server, name, PASSWORD) == (401, "IAM.0004")


@pytest.fixture(scope="module")
def small_source_limit() -> Iterator[LiveServer]:
    yield from live_server(sign_in_source_max_failures=6)


def test_the_per_source_limit_stops_guesses_spread_over_users(
    small_source_limit: LiveServer,
) -> None:
    server = small_source_limit
    victim, *others = (server.partner(PartnerType.CSP, password=PASSWORD) for _ in range(3))
    # three guesses at each of two users: neither is locked, the source has failed six times
    for other in others:
        name = other.creds.domain_name
        assert [sign_in(server, name, "Guess-1234") for _ in range(3)] == [(401, "IAM.0001")] * 3
    blocked = password_token(server, victim.creds.domain_name, victim.creds.domain_name, PASSWORD)
    assert blocked.status_code == 429
    assert blocked.json()["error_code"] == "APIG.0308"
    assert "too many failed sign-ins from this address" in blocked.json()["error_msg"]
    move_wall(server, LOCKOUT)
    assert sign_in(server, victim.creds.domain_name, PASSWORD) == (201, "ok")
    # the token it got works
    token = password_token(server, victim.creds.domain_name, victim.creds.domain_name, PASSWORD)
    domains = httpx.get(
        server.url + "/v3/auth/domains", headers={"X-Auth-Token": token.headers["X-Subject-Token"]}
    )
    assert domains.json()["domains"][0]["id"] == victim.id

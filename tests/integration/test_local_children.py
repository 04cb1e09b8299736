"""The harness's children (moto, redis-server) get ports no client connection can take, and one that
cannot start is reported at once with its reason, not after a silent 20 s wait.

CI once lost a whole run this way: between picking moto's port and moto binding it, an outgoing
connection of the busy test process took that port as its source port; moto exited with "address in
use" into /dev/null, and every test on the local stack failed with "moto server answering did not
happen within 20 s".
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from docpipe_local.moto_server import start_moto, wait_for_moto
from docpipe_local.processes import EPHEMERAL_RANGE, free_port, kill_process
from docpipe_local.redis_server import start_redis, wait_for_redis

GIVE_UP_AFTER = 60.0
"""The wait's own timeout: reporting a dead child must come long before it."""


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port something already listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def test_free_ports_are_outside_the_range_outgoing_connections_draw_from() -> None:
    low, high = (int(part) for part in EPHEMERAL_RANGE.read_text().split())
    ports = [free_port() for _ in range(50)]
    assert len(set(ports)) == len(ports)
    assert not [port for port in ports if low <= port <= high]
    for port in ports:  # and each can be listened on
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", port))


def test_a_moto_that_cannot_listen_is_reported_with_its_reason(taken_port: int) -> None:
    moto = start_moto(taken_port, wait=False)
    started = time.monotonic()
    try:
        with pytest.raises(RuntimeError, match=r"(?s)exited with code 1:.*(in use|already)"):
            wait_for_moto(moto, timeout=GIVE_UP_AFTER)
    finally:
        kill_process(moto)
    assert time.monotonic() - started < GIVE_UP_AFTER / 2


def test_a_redis_that_cannot_listen_is_reported_with_its_reason(taken_port: int) -> None:
    redis = start_redis(taken_port, wait=False)
    started = time.monotonic()
    try:
        with pytest.raises(RuntimeError, match=r"(?s)exited with code 1:.*(in use|already)"):
            wait_for_redis(taken_port, process=redis, timeout=GIVE_UP_AFTER)
    finally:
        kill_process(redis)
    assert time.monotonic() - started < GIVE_UP_AFTER / 2

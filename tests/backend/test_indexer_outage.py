import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest


def _wait_for(condition: Callable[[], bool], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.mark.slow
def test_the_indexer_waits_out_a_stopped_node_and_catches_up(
    harness: Any, local_chain: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="backend.services.indexer")
    before = [harness.emit_many(4)]
    indexer = harness.indexer(poll_interval_s=0.1, backoff_initial_s=0.2, backoff_max_s=1.0)
    stop = threading.Event()
    failures: list[BaseException] = []

    def run() -> None:
        try:
            indexer.run_forever(stop)
        except BaseException as error:  # noqa: BLE001 - reported by the test
            failures.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        _wait_for(lambda: harness.cursor() == harness.head(), timeout_s=10)
        assert harness.events() == harness.expected(before)

        local_chain.stop()
        time.sleep(5)
        assert thread.is_alive(), failures
        retries = [record for record in caplog.records if "unreachable" in record.getMessage()]
        assert len(retries) >= 3
        # Exponential and capped: the announced delays grow, then stay at the cap.
        delays = [float(record.getMessage().split("retrying in ")[1].split(" s")[0]) for record in retries]
        assert delays[1] > delays[0]
        assert max(delays) <= 1.0

        local_chain.start()
        after = [harness.emit_many(3), harness.ping(note="after the outage")]
        _wait_for(lambda: harness.cursor() == harness.head(), timeout_s=15)
    finally:
        stop.set()
        thread.join(timeout=15)
        if not local_chain.process.is_running():
            local_chain.start()
    assert not thread.is_alive()
    assert failures == []
    assert harness.events() == harness.expected(before + after)
    assert any("recovered" in record.getMessage() for record in caplog.records)

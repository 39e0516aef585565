"""The indexer's own process: `python -m backend.services.indexer`.

Reads the settings (CROWDBOUNTY_*), loads the deployments file, migrates the database and
indexes until SIGTERM or SIGINT, which stop it after the current transaction.
"""

import logging
import signal
import sys
import threading
from types import FrameType

from sqlalchemy.exc import OperationalError
from web3 import HTTPProvider, Web3

from backend.core.config import get_settings
from backend.db import make_engine
from backend.errors import CrowdbountyError
from backend.services.challenges.metadata import RetryPolicy, resolve_pending_metadata
from backend.services.database import migrate
from backend.services.deployments import load_deployments
from backend.services.indexer import PROJECTIONS, Indexer, RunStats, config_from_settings, contracts_from_deployments
from backend.services.microtasks.service import load_new_manifests
from backend.services.notifications import run_deadline_job
from backend.services.storage.ipfs import IpfsClient

log = logging.getLogger("backend.services.indexer")


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    stop = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        log.info("%s received; stopping after the current transaction", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    settings = get_settings()
    try:
        deployments = load_deployments(settings.deployments_file)
        engine = make_engine(settings.database_url)
        migrate(engine)
        # No provider-level retries: the indexer backs off by itself, and logs it.
        provider = HTTPProvider(
            settings.rpc_url, request_kwargs={"timeout": settings.rpc_timeout_s}, exception_retry_configuration=None
        )
        w3 = Web3(provider)
        indexer = Indexer(
            w3,
            engine,
            contracts_from_deployments(deployments, settings.indexer_contracts),
            config=config_from_settings(settings),
            projections=PROJECTIONS,
            expected_chain_id=deployments.chain_id,
        )
        ipfs = IpfsClient.from_settings(settings)
        policy = RetryPolicy(settings.challenge_metadata_retry_initial_s, settings.challenge_metadata_retry_max_s)

        def join_metadata(_stats: RunStats) -> None:
            try:
                resolve_pending_metadata(engine, ipfs, policy=policy, batch=settings.challenge_metadata_batch)
                load_new_manifests(engine, ipfs, batch=settings.challenge_metadata_batch)
            except OperationalError as error:  # the database is away: the next run retries
                log.warning("metadata join skipped: %s", error)

        # "Deadline near" notifications, measured in chain time (what the contracts compare with).
        deadlines = threading.Thread(
            target=run_deadline_job,
            args=(
                engine,
                stop,
                settings.notifications_deadline_job_interval_s,
                settings.notifications_deadline_window_s,
            ),
            kwargs={"chain_time": lambda: int(w3.eth.get_block("latest")["timestamp"])},
            name="deadline-notifications",
            daemon=True,
        )
        deadlines.start()
        try:
            indexer.run_forever(stop, after_run=join_metadata)
        finally:
            stop.set()
            deadlines.join()
            ipfs.close()
    except CrowdbountyError as error:
        log.error("%s", error)
        return 2
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The client's errors: one root (`ClientError`, itself a `CrowdbountyError`), and the one
place that turns any error into an exit code and one line saying what to do."""

from backend.errors import ConfigurationError, CrowdbountyError
from backend.services.storage.errors import ContentNotFoundError, EnvelopeError, IpfsUnavailableError, StorageError

EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_UNAVAILABLE = 3
EXIT_REFUSED = 4
EXIT_MISMATCH = 5


class ClientError(CrowdbountyError):
    """Root of the client's errors: a one-line `message` and the `fix`, when there is one."""

    exit_code = EXIT_FAILURE

    def __init__(self, message: str, fix: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix


class InputError(ClientError):
    """An argument or input file is malformed (amount, address, date, CSV...)."""

    exit_code = EXIT_USAGE


class WalletError(ClientError):
    """A wallet is unknown, exists already, or its password is wrong."""

    exit_code = EXIT_USAGE


class UnavailableError(ClientError):
    """The chain or the backend does not answer, or the chain is not the deployments file's."""

    exit_code = EXIT_UNAVAILABLE


class RefusedError(ClientError):
    """The contract (or the backend) refused the action; nothing was changed."""

    exit_code = EXIT_REFUSED


class InsufficientFundsError(RefusedError):
    """The account cannot pay the value and gas of a transaction."""


class VerificationError(ClientError):
    """Something fetched does not match what the chain committed to (author, hash, amount)."""

    exit_code = EXIT_MISMATCH


def describe(error: CrowdbountyError) -> tuple[str, int]:
    """The one line shown for `error` (message, then the fix) and the process's exit code."""
    if isinstance(error, ClientError):
        line = error.message if error.fix is None else f"{error.message}; {error.fix}"
        return line, error.exit_code
    if isinstance(error, IpfsUnavailableError | ConfigurationError):
        return str(error), EXIT_UNAVAILABLE
    if isinstance(error, ContentNotFoundError):
        return f"{error}; is the IPFS node that holds it running and connected?", EXIT_UNAVAILABLE
    if isinstance(error, EnvelopeError):
        return f"{error}", EXIT_MISMATCH
    if isinstance(error, StorageError):
        return str(error), EXIT_FAILURE
    return str(error), EXIT_FAILURE

"""Errors of the storage layer; all derive from `StorageError` and the package's root error."""

from backend.errors import CrowdbountyError


class StorageError(CrowdbountyError):
    """Root of every storage, IPFS, envelope and metadata error."""


class IpfsUnavailableError(StorageError):
    """The IPFS node did not answer; says which URL was tried and how to start the node."""

    def __init__(self, api_url: str, reason: str) -> None:
        super().__init__(
            f"IPFS node at {api_url} is unavailable ({reason}); start it with `make up` or set CROWDBOUNTY_IPFS_API_URL"
        )
        self.api_url = api_url


class IpfsRequestError(StorageError):
    """The node answered with an error that is neither "not found" nor a transient failure."""


class ContentNotFoundError(StorageError):
    """The node could not find a block within the fetch timeout."""


class ObjectTooLargeError(StorageError):
    """An object is larger than `ipfs_max_object_bytes`."""


class IntegrityError(StorageError):
    """Fetched bytes do not match their CID, or a DAG node is malformed."""


class EnvelopeError(StorageError):
    """An envelope is malformed, truncated, tampered with, or cannot be opened."""


class SignatureMismatchError(EnvelopeError):
    """An envelope's signature does not recover the author its header names."""


class ContextMismatchError(EnvelopeError):
    """An envelope was made for another challenge, chain, contract or kind."""


class NotARecipientError(EnvelopeError):
    """The given key is not one of the envelope's recipients."""


class MetadataError(StorageError):
    """Metadata does not match its on-chain hash or does not follow its schema."""

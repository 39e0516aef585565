"""The one root exception of the devstack package and its specific failures."""


class DevstackError(Exception):
    """Root of every error the developer stack reports; its message says what to do."""


class ToolchainError(DevstackError):
    """A tool could not be installed or configured."""


class PortInUseError(DevstackError):
    """A port the stack needs is taken by a process the stack did not start."""


class ServiceStartError(DevstackError):
    """A service did not become healthy before its deadline."""


class ProcessStopError(DevstackError):
    """A process the stack started could not be stopped."""

"""The one root exception of the backend package; every specific error derives from it."""


class CrowdbountyError(Exception):
    """Root of every error raised by Crowdbounty's backend and services."""


class ConfigurationError(CrowdbountyError):
    """A setting or a required file (such as the deployments file) is missing or invalid."""

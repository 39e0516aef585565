"""Crowdbounty's local developer stack: toolchain set-up and a process supervisor.

`python -m devstack setup` installs what the project needs (npm tools, the solc shim,
Brownie networks); `python -m devstack up` brings the local platform up.
"""

"""`python -m client` runs the `bounty` command (the console script, before installation)."""

from client.cli import app

app(prog_name="bounty")

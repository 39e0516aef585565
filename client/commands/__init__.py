"""The `bounty` subcommands, one module per noun."""

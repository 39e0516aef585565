"""Micro-task batches: the projection of MicrotaskEscrow events, the task manifest, the
EIP-712 messages and the services behind /api/batches."""

# The indexer's PROJECTIONS imports our projection, which imports the indexer: loading the
# indexer first, whoever is imported first, keeps that cycle from seeing half a module.
import backend.services.indexer  # noqa: F401

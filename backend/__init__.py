"""Crowdbounty's backend: indexes chain events, joins them with IPFS metadata, serves the API."""

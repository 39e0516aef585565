"""`bounty`: Crowdbounty from a terminal, for seekers, solvers, requesters and workers."""

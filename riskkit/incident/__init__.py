"""Live incidents: an append-only journal per incident, the state worked out from it
against the runbook version it pinned, and the guard rails of every transition."""

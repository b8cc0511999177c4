"""The quarter's retrospective: what the register and the team did in a quarter, from the
workspace's files and its git history (``riskkit retro``)."""

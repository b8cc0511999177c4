"""riskkit: a git-native risk register and incident runbook engine."""

__version__ = "0.1.0"

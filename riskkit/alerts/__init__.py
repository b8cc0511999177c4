"""From the alert to the runbook: Prometheus rule files read with positions, checked
against the runbook library, and the search that finds a runbook from an alert or words."""

"""The compatibility policy and the release gate: rules, release overlay, per-site verdicts."""

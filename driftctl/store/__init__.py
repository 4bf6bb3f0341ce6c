"""The central store of verified bundles: per-site history and state, an append-only ledger."""

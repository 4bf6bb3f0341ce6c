"""Signed bundles: SSHSIG signatures, allowed_signers trust, deterministic archives, verification."""

NAMESPACE = "bundle@driftctl"
HASH_ALG = "sha512"
BUNDLE_SCHEMA = "driftctl.bundle/v1"
SITE_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"

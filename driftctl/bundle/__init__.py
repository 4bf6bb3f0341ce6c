"""Signed bundles: SSHSIG signatures, allowed_signers trust, deterministic archives, verification."""

import re

NAMESPACE = "bundle@driftctl"
HASH_ALG = "sha512"
BUNDLE_SCHEMA = "driftctl.bundle/v1"
SITE_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"
# A sha256 digest as manifests, the collector's seq state and the store write it.
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")

"""Signed bundles: SSHSIG signatures, allowed_signers trust, deterministic archives, verification."""

import re

from driftctl.dump_layout import SITE_ID_PATTERN

NAMESPACE = "bundle@driftctl"
HASH_ALG = "sha512"
BUNDLE_SCHEMA = "driftctl.bundle/v1"
SITE_PATTERN = SITE_ID_PATTERN
# A sha256 digest as manifests, the collector's seq state and the store write it.
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")

"""Signed bundles: SSHSIG signatures, allowed_signers trust, deterministic archives, verification."""

import re

from driftctl.dump_layout import COMPONENT, SITE_ID_PATTERN

NAMESPACE = "bundle@driftctl"
HASH_ALG = "sha512"
BUNDLE_SCHEMA = "driftctl.bundle/v1"
SITE_PATTERN = SITE_ID_PATTERN
# A sha256 digest as manifests, the collector's seq state and the store write it.
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
# A member path: up to eight safe components (``evidence/nodes/n1/nvidia-smi.xml``), as the
# writer names members, the reader admits them and a manifest lists them.
NAME_RE = re.compile(rf"^{COMPONENT}(/{COMPONENT}){{0,7}}$")
MAX_NAME = 255

"""Redaction before anything leaves a site: every value judged by name, shape and decoded layers.

See docs/redaction.md for what is caught, how, and the limits.
"""

from __future__ import annotations

from driftctl.redact.decoded import MARKER
from driftctl.redact.names import SECRET_KEY_RE, is_neutral_name, is_secret_name
from driftctl.redact.redactor import (
    LAST_APPLIED,
    TOKEN_PREFIX,
    TOKEN_RE,
    Redactor,
    is_token,
    load_fleet_key,
)
from driftctl.redact.snapshot import redact_evidence, redact_snapshot, secret_env_attributes

__all__ = [
    "LAST_APPLIED",
    "MARKER",
    "SECRET_KEY_RE",
    "TOKEN_PREFIX",
    "TOKEN_RE",
    "Redactor",
    "is_neutral_name",
    "is_secret_name",
    "is_token",
    "load_fleet_key",
    "redact_evidence",
    "redact_snapshot",
    "secret_env_attributes",
]

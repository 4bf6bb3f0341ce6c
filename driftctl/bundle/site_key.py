"""The key a site signs with: a private key file, or a ``.pub`` whose private half is in ssh-agent,
refused up front when it was made for another site."""

from __future__ import annotations

import re
from pathlib import Path

from driftctl.bundle.agent import agent_signer
from driftctl.bundle.keys import load_private_key
from driftctl.bundle.signer import MAX_KEY_BYTES, Signer
from driftctl.dump_layout import SITE_ID
from driftctl.errors import InputError
from driftctl.safeio import read_capped


def load_signer(path: Path, passphrase: str | None = None) -> Signer:
    """A private key file, or a public key (``.pub``) whose private half is in ssh-agent."""
    head = read_capped(path, MAX_KEY_BYTES)[:64]
    if head.startswith(b"ssh-"):
        return agent_signer(path)
    return load_private_key(path, passphrase)


def check_key_for_site(signer: Signer, path: Path, site: str) -> None:
    """Refuse a key whose keygen comment (``SITE@driftctl``) names another site: the centre would."""
    m = re.fullmatch(rf"({SITE_ID})@driftctl", signer.comment)
    if m and m.group(1) != site:
        raise InputError(
            f"{path}: key made for site {m.group(1)!r} (its comment), but the config is for "
            f"{site!r}; importers would refuse the bundle (signer != site)"
        )

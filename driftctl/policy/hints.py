"""'Did you mean …' hints for names that match nothing (a typo never passes silently)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the nearest candidate, or ``''`` when none is near."""
    choices = sorted({c for c in candidates if isinstance(c, str)})
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if not close:
        # A different case or separator is still a typo of the same name.
        folded = {c.lower().replace("_", "-"): c for c in choices}
        hit = folded.get(word.lower().replace("_", "-"))
        close = [hit] if hit else []
    return f" (did you mean {close[0]!r}?)" if close else ""

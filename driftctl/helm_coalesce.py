"""Chart defaults coalesced with user values exactly as Helm does (``helm get values --all``).

One implementation for both sides of the gate: the chart source computes what a push would
install, the helm collector what a site runs (the release Secret's ``chart.values`` and
``config``). Helm's rules, for a chart without subcharts:

- user values win over the chart's defaults; maps merge key by key, at any depth;
- lists and scalars are replaced whole, never merged;
- a user ``null`` deletes the chart's default for that key; a ``null`` where the chart has no
  default (or a ``null`` default) stays ``null``; at the top level a user ``null`` is dropped;
- when one side is a map and the other is not, the user's value stays (Helm warns).

Subcharts (``charts/``) and ``global`` values are not modelled here: their defaults are not
in the computed values (helm's render still applies them).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping

from driftctl.strictjson import JsonObject, JsonValue


def coalesce(defaults: Mapping[str, JsonValue], user: Mapping[str, JsonValue]) -> JsonObject:
    """The values templates see: ``defaults`` (chart) under ``user`` (values files, config)."""
    out: JsonObject = copy.deepcopy(dict(user))
    for key, default in copy.deepcopy(dict(defaults)).items():
        if key not in out:
            out[key] = default
            continue
        value = out[key]
        if value is None:
            del out[key]
        elif isinstance(value, dict) and isinstance(default, dict):
            _tables(value, default)
    return out


def _tables(dst: JsonObject, src: JsonObject) -> None:
    """Merge the default table ``src`` under the user table ``dst``, in place."""
    had_value = {key for key, value in src.items() if value is not None}
    for key, value in dst.items():
        if value is None:
            src[key] = None
    for key, default in src.items():
        if key not in dst:
            dst[key] = default
            continue
        value = dst[key]
        if value is None:
            if key in had_value:  # the user removes the chart's default
                del dst[key]
        elif isinstance(default, dict) and isinstance(value, dict):
            _tables(value, default)

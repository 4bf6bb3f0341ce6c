"""Helm values as Helm reads them: YAML 1.1 scalars the Go way, string keys, float64 numbers."""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Hashable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path

import yaml

from driftctl.errors import InputError
from driftctl.safeio import MAX_CONFIG_BYTES, read_capped
from driftctl.snapshot import JsonValue
from driftctl.snapshot.jsonvalue import JsonObject

# Anchors are allowed (Helm allows them and charts use them), so the expansion is bounded.
MAX_NODES = 1_000_000
_NUMBER_TAG = "tag:driftctl.io,2026:helm-number"
_BOOL = {
    **dict.fromkeys(("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE"), True),
    **dict.fromkeys(("on", "On", "ON"), True),
    **dict.fromkeys(("n", "N", "no", "No", "NO", "false", "False", "FALSE"), False),
    **dict.fromkeys(("off", "Off", "OFF"), False),
}
_BOOL_RE = re.compile("^(?:" + "|".join(_BOOL) + ")$")
# Plain scalars that may be numbers; the constructor decides the way Go's yaml.v2 does.
_NUMBERISH = re.compile(
    r"^[-+]?(?:[0-9][0-9a-fA-FxXoObB_.eE+-]*|\.[0-9][0-9_eE+-]*|\.(?:inf|Inf|INF|nan|NaN|NAN))$"
)
_GO_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_GO_INT = re.compile(r"^[-+]?(?:0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$")
_SPECIAL = {".inf": math.inf, "-.inf": -math.inf, "+.inf": math.inf, ".nan": math.nan}


def _go_number(text: str) -> int | float | str:
    """A plain scalar as go-yaml v2 resolves it: int (any base), float, else the string."""
    plain = text.replace("_", "")
    if _GO_INT.fullmatch(plain):
        sign, digits = (-1, plain[1:]) if plain[0] == "-" else (1, plain.lstrip("+"))
        if digits[:2] in ("0x", "0X"):
            return sign * int(digits[2:], 16)
        if digits[:2] in ("0o", "0O"):
            return sign * int(digits[2:], 8)
        if digits[:2] in ("0b", "0B"):
            return sign * int(digits[2:], 2)
        if len(digits) > 1 and digits[0] == "0":
            return sign * int(digits, 8)
        return sign * int(digits)
    if _GO_FLOAT.fullmatch(plain):
        return float(plain)
    special = _SPECIAL.get(plain.lower())
    return special if special is not None else text


class _HelmLoader(yaml.SafeLoader):
    """SafeLoader with go-yaml v2's scalar rules: y/n booleans, no timestamps, no 1:20 numbers."""

    # PyYAML's own class table: first character -> [(tag, pattern)]
    yaml_implicit_resolvers: dict[str | None, list[tuple[str, re.Pattern[str]]]] = {}  # noqa: RUF012

    def construct_mapping(
        self, node: yaml.MappingNode, deep: bool = False
    ) -> dict[Hashable, object]:
        """Keys become strings as they are read, the way Go writes them into JSON: ``1`` and
        ``true`` stay two keys (in a Python dict they would be one)."""
        if not isinstance(node, yaml.MappingNode):
            return super().construct_mapping(node, deep=deep)
        self.flatten_mapping(node)
        out: dict[Hashable, object] = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if key is None or not isinstance(key, str | int | float | bool):
                raise yaml.constructor.ConstructorError(
                    None, None, f"map key {key!r} is not a string", key_node.start_mark
                )
            out[_key(key, "values")] = self.construct_object(value_node, deep=deep)
        return out


for _first, _resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items():
    _HelmLoader.yaml_implicit_resolvers[_first] = [
        (tag, regexp)
        for tag, regexp in _resolvers
        if tag.rsplit(":", 1)[-1] not in ("bool", "int", "float", "timestamp")
    ]
_HelmLoader.add_implicit_resolver("tag:yaml.org,2002:bool", _BOOL_RE, list("yYnNtTfFoO"))
_HelmLoader.add_implicit_resolver(_NUMBER_TAG, _NUMBERISH, list("-+.0123456789"))


def _construct_bool(loader: _HelmLoader, node: yaml.ScalarNode) -> bool:
    text = loader.construct_scalar(node)
    if text not in _BOOL:
        raise yaml.constructor.ConstructorError(
            None, None, f"{text!r} is not a boolean", node.start_mark
        )
    return _BOOL[text]


_HelmLoader.add_constructor("tag:yaml.org,2002:bool", _construct_bool)


def _construct_number(loader: _HelmLoader, node: yaml.ScalarNode) -> int | float | str:
    return _go_number(loader.construct_scalar(node))


_HelmLoader.add_constructor(_NUMBER_TAG, _construct_number)


def _key(key: object, where: str) -> str:
    """A map key as sigs.k8s.io/yaml writes it into JSON."""
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, int | float):
        return _json_number_text(normalise_number(key, where))
    raise InputError(f"{where}: map key {key!r} is not a string")


def _json_number_text(value: int | float) -> str:
    return str(value) if isinstance(value, int) else repr(value)


def normalise_number(value: int | float, where: str) -> int | float:
    """A number as Helm holds it (float64), written back as an int when it is integral."""
    as_float = float(value)
    if not math.isfinite(as_float):
        raise InputError(f"{where}: {value!r} is not a JSON number (Helm refuses it too)")
    if as_float.is_integer() and abs(as_float) < 1e21:
        return int(Decimal(repr(as_float)))
    return as_float


def normalise(value: object, where: str) -> JsonValue:
    """The value as Helm would hand it to templates; bounded, so aliases cannot explode."""
    budget = [MAX_NODES]

    def walk(node: object) -> JsonValue:
        budget[0] -= 1
        if budget[0] < 0:
            raise InputError(f"{where}: more than {MAX_NODES} values (aliases expanding?)")
        if isinstance(node, Mapping):
            out: JsonObject = {}
            for k, v in node.items():
                out[_key(k, where)] = walk(v)
            return out
        if isinstance(node, Sequence) and not isinstance(node, str | bytes):
            return [walk(v) for v in node]
        if isinstance(node, bool) or node is None or isinstance(node, str):
            return node
        if isinstance(node, int | float):
            return normalise_number(node, where)
        if isinstance(node, bytes):  # !!binary: Helm hands it to templates base64-encoded
            return base64.b64encode(node).decode()
        return str(node)

    return walk(value)


def loads_values(data: bytes | str, where: str) -> JsonObject:
    """One values document (``-f FILE`` or a chart's values.yaml); empty means no values."""
    if len(data) > MAX_CONFIG_BYTES:
        raise InputError(f"{where}: larger than {MAX_CONFIG_BYTES} bytes")
    try:
        doc = yaml.load(data, Loader=_HelmLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f" line {mark.line + 1}" if mark is not None else ""
        raise InputError(f"{where}:{line}: {exc.problem or exc.context}") from None
    except (yaml.YAMLError, RecursionError, UnicodeDecodeError) as exc:
        raise InputError(f"{where}: invalid YAML: {' '.join(str(exc).split())}") from None
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        kind = "list" if isinstance(doc, list) else type(doc).__name__
        raise InputError(f"{where}: a values file must be a mapping, not a {kind}")
    result = normalise(doc, where)
    assert isinstance(result, dict)  # a mapping stays one
    return result


def load_values_file(path: Path) -> JsonObject:
    """``--values FILE`` / ``--site-values DIR/<site>.yaml``, read as Helm reads ``-f``."""
    return loads_values(read_capped(path), str(path))


def merge_values(layers: Sequence[Mapping[str, JsonValue]]) -> JsonObject:
    """Several ``-f`` files into one, as Helm does: maps merge, later files win, lists and
    scalars (``null`` too) replace whatever was there."""
    out: JsonObject = {}
    for layer in layers:
        out = _merge_maps(out, layer)
    return out


def _merge_maps(base: Mapping[str, JsonValue], top: Mapping[str, JsonValue]) -> JsonObject:
    out = dict(base)
    for key, value in top.items():
        current = out.get(key)
        if isinstance(value, Mapping) and isinstance(current, Mapping):
            out[key] = _merge_maps(current, value)
        else:
            out[key] = value
    return out

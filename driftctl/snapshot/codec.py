"""Strict JSON ⇄ frozen dataclass conversion, and JSON Schema, derived from the annotations.

A model class is a ``@dataclass(frozen=True, kw_only=True)`` subclass of ``Model``. Its
annotations are the one statement of its JSON shape:

- ``str``, ``int``, ``float``, ``bool``, a ``StrEnum`` (closed set), ``Literal["x"]`` (a
  constant), ``Annotated[str, Pattern(...)]``, another ``Model``, ``tuple[X, ...]`` (array),
  ``Mapping[str, X]`` (object with free keys), ``JsonValue`` (any finite JSON);
- ``X | None``: the key is required and may be ``null``;
- ``X | Absent`` (default ``ABSENT``): the key may be missing. Absent and null differ in the
  snapshot (a node reported by SSH only has no ``kubelet_version`` key at all), so the model
  keeps the difference and ``to_dict`` writes exactly what ``from_dict`` read.

``from_dict`` refuses unknown keys, missing keys, wrong types, non-finite numbers and lone
surrogates, naming the path. ``EXTRA`` names one ``Mapping[str, JsonValue]`` field that takes
the undeclared keys instead (component attributes).
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any, ClassVar, Self

from driftctl.errors import InputError
from driftctl.snapshot.jsonvalue import (
    ABSENT,
    Absent,
    BadValue,
    JsonArray,
    JsonObject,
    JsonValue,
    check_json,
    check_number,
    check_string,
    json_copy,
)
from driftctl.snapshot.path import FactPath

# A decoder takes any decoded JSON and returns the field's value (or raises BadValue). An encoder
# takes a field's value, whose type is the annotation it was compiled from (known at run time
# only, hence Any), and returns its JSON form.
Decoder = Callable[[object], object]
Encoder = Callable[[Any], JsonValue]
Schema = JsonObject


@dataclass(frozen=True)
class Pattern:
    """``Annotated[str, Pattern(r"...")]``: the string must match the whole pattern."""

    regex: str


class ModelError(InputError):
    """A JSON document that is not the model's shape (exit 2; bundle readers turn it into 4)."""

    def __init__(self, where: str, path: FactPath, reason: str) -> None:
        location = f"{where}: {path}" if path else where
        super().__init__(f"{location}: {reason}")
        self.where = where
        self.path = path
        self.reason = reason


def _kind(value: object) -> str:
    names = {str: "a string", bool: "a boolean", int: "an integer", float: "a number"}
    names |= {dict: "an object", list: "an array", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def _expect(kind: type, label: str) -> Decoder:
    def decode(value: object) -> object:
        if type(value) is not kind:
            raise BadValue(f"expected {label}, got {_kind(value)}")
        return value

    return decode


def _decode_str(value: object) -> str:
    if type(value) is not str:
        raise BadValue(f"expected a string, got {_kind(value)}")
    return check_string(value)


def _decode_float(value: object) -> float:
    if type(value) is int:
        return value
    if type(value) is not float:
        raise BadValue(f"expected a number, got {_kind(value)}")
    return check_number(value)


def _identity(value: JsonValue) -> JsonValue:
    return value


_SCALARS: dict[type, tuple[Decoder, Schema]] = {
    str: (_decode_str, {"type": "string"}),
    int: (_expect(int, "an integer"), {"type": "integer"}),
    float: (_decode_float, {"type": "number"}),
    bool: (_expect(bool, "a boolean"), {"type": "boolean"}),
}


def _nullable(schema: Schema) -> Schema:
    if "$ref" in schema or "enum" in schema or "const" in schema:
        return {"anyOf": [schema, {"type": "null"}]}
    return {**schema, "type": [schema["type"], "null"]}


class _Compiler:
    """Turns one annotation into (decoder, encoder, schema); nested models land in ``defs``."""

    def __init__(self, collect_defs: bool = False) -> None:
        self.collect_defs = collect_defs
        self.defs: dict[str, Schema] = {}

    def hint(self, hint: object) -> tuple[Decoder, Encoder, Schema]:
        if _is_json_value(hint):
            return check_json, json_copy, {"$ref": "#/$defs/JsonValue"}
        if isinstance(hint, type) and hint in _SCALARS:
            decoder, schema = _SCALARS[hint]
            return decoder, _identity, schema
        origin, args = typing.get_origin(hint), typing.get_args(hint)
        if isinstance(hint, type) and issubclass(hint, StrEnum):
            return self._enum(hint)
        if isinstance(hint, type) and issubclass(hint, Model):
            return self._model(hint)
        if origin is typing.Annotated:
            return self._pattern(args[0], args[1])
        if origin is typing.Literal:
            return self._literal(args[0])
        if origin in (types.UnionType, typing.Union):
            rest = [a for a in args if a not in (type(None), Absent)]
            if len(rest) != 1 or type(None) not in args:
                raise TypeError(f"unsupported union {hint!r}")
            decode, encode, schema = self.hint(rest[0])
            return (
                lambda v: None if v is None else decode(v),
                lambda v: None if v is None else encode(v),
                _nullable(schema),
            )
        if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
            return self._array(args[0])
        if origin is Mapping and args[0] is str:
            return self._mapping(args[1])
        raise TypeError(f"unsupported annotation {hint!r}")

    def _enum(self, enum: type[StrEnum]) -> tuple[Decoder, Encoder, Schema]:
        members = {m.value: m for m in enum}
        shown = ", ".join(members)

        def decode(value: object) -> object:
            if type(value) is str and value in members:
                return members[value]
            raise BadValue(f"expected one of {shown}, got {value!r}")

        values: JsonArray = list(members)
        return decode, lambda m: m.value, {"enum": values}

    def _model(self, cls: type[Model]) -> tuple[Decoder, Encoder, Schema]:
        if self.collect_defs and cls.__name__ not in self.defs:
            self.defs[cls.__name__] = {}  # claimed first: a model may hold itself
            self.defs[cls.__name__] = codec(cls).schema(self)
        return (lambda v: codec(cls).decode(v)), (lambda v: v.to_dict()), _ref(cls)

    def _pattern(self, base: object, pattern: object) -> tuple[Decoder, Encoder, Schema]:
        if base is not str or not isinstance(pattern, Pattern):
            raise TypeError(f"unsupported annotation on {base!r}")
        regex = re.compile(pattern.regex)

        def decode(value: object) -> str:
            text = _decode_str(value)
            if regex.fullmatch(text) is None:
                raise BadValue(f"{text!r} does not match {pattern.regex}")
            return text

        # JSON Schema patterns search; anchored, ``$`` is the end of the string (ECMA-262)
        return decode, _identity, {"type": "string", "pattern": f"^(?:{pattern.regex})$"}

    def _literal(self, const: object) -> tuple[Decoder, Encoder, Schema]:
        if not isinstance(const, str | int):
            raise TypeError(f"unsupported literal {const!r}")

        def decode(value: object) -> object:
            if type(value) is not type(const) or value != const:
                raise BadValue(f"expected {const!r}, got {value!r}")
            return value

        return decode, _identity, {"const": const}

    def _array(self, item: object) -> tuple[Decoder, Encoder, Schema]:
        decode_item, encode_item, schema = self.hint(item)

        def decode(value: object) -> tuple[object, ...]:
            if type(value) is not list:
                raise BadValue(f"expected an array, got {_kind(value)}")
            out = []
            for index, element in enumerate(value):
                try:
                    out.append(decode_item(element))
                except BadValue as exc:
                    exc.path.append(str(index))
                    raise
            return tuple(out)

        encode: Encoder = (
            list if encode_item is _identity else lambda v: [encode_item(x) for x in v]
        )
        return decode, encode, {"type": "array", "items": schema}

    def _mapping(self, item: object) -> tuple[Decoder, Encoder, Schema]:
        decode_item, encode_item, schema = self.hint(item)

        plain_strings = decode_item is _decode_str  # labels, env: the bulk of a snapshot

        def decode(value: object) -> dict[str, object]:
            if type(value) is not dict:
                raise BadValue(f"expected an object, got {_kind(value)}")
            if plain_strings and all(
                type(v) is str and v.isascii() and k.isascii() for k, v in value.items()
            ):
                return dict(value)  # JSON keys are strings; ASCII holds no surrogate
            out: dict[str, object] = {}
            for key, element in value.items():
                try:
                    out[check_string(key)] = decode_item(element)
                except BadValue as exc:
                    exc.path.append(key)
                    raise
            return out

        def encode(value: Mapping[str, Any]) -> JsonObject:
            return {k: encode_item(v) for k, v in value.items()}

        return decode, encode, {"type": "object", "additionalProperties": schema}


def _is_json_value(hint: object) -> bool:
    """``JsonValue`` as ``get_type_hints`` resolves it (one level of its recursion unrolled)."""
    if typing.get_origin(hint) not in (types.UnionType, typing.Union):
        return False
    args = typing.get_args(hint)
    origins = {typing.get_origin(a) for a in args}
    return set(args) >= {str, int, float, bool, type(None)} and origins >= {list, dict}


def _ref(cls: type) -> Schema:
    return {"$ref": f"#/$defs/{cls.__name__}"}


@dataclass(frozen=True)
class _Field:
    name: str
    hint: object
    optional: bool
    decode: Decoder
    encode: Encoder
    schema: Schema


class _Codec:
    """The compiled JSON shape of one model class."""

    def __init__(self, cls: type[Model]) -> None:
        self.cls = cls
        hints = typing.get_type_hints(cls, include_extras=True)
        compiler = _Compiler()
        self.fields: list[_Field] = []
        for f in fields(cls):  # type: ignore[arg-type]
            if f.name == cls.EXTRA:
                continue
            hint = hints[f.name]
            optional = Absent in typing.get_args(hint)
            if optional:
                args = tuple(a for a in typing.get_args(hint) if a is not Absent)
                hint = args[0] if len(args) == 1 else typing.Union[args]  # noqa: UP007
            decode, encode, schema = compiler.hint(hint)
            self.fields.append(_Field(f.name, hint, optional, decode, encode, schema))
        self.names = frozenset(f.name for f in self.fields)

    def decode(self, data: object) -> Model:
        if type(data) is not dict:
            raise BadValue(f"expected an object, got {_kind(data)}")
        kwargs: dict[str, object] = {}
        for f in self.fields:
            if f.name in data:
                try:
                    kwargs[f.name] = f.decode(data[f.name])
                except BadValue as exc:
                    exc.path.append(f.name)
                    raise
            elif not f.optional:
                raise BadValue(f"missing key {f.name!r}")
        if len(kwargs) != len(data):
            extra = [k for k in data if k not in self.names]
            if self.cls.EXTRA is None:
                raise BadValue(f"unknown key {extra[0]!r}")
            kwargs[self.cls.EXTRA] = check_json({k: data[k] for k in extra})
        return self.cls(**kwargs)

    def encode(self, obj: Model) -> JsonObject:
        out: JsonObject = {}
        for f in self.fields:
            value = getattr(obj, f.name)
            if value is not ABSENT:
                out[f.name] = f.encode(value)
        if self.cls.EXTRA is not None:
            extra: JsonObject = getattr(obj, self.cls.EXTRA)
            out.update((k, json_copy(v)) for k, v in extra.items())
        return out

    def schema(self, compiler: _Compiler) -> Schema:
        """This class's JSON Schema; nested classes become ``$ref``s into ``compiler.defs``."""
        out: Schema = {"type": "object"}
        if self.cls.__doc__:
            out["description"] = " ".join(self.cls.__doc__.split())
        out["properties"] = {f.name: compiler.hint(f.hint)[2] for f in self.fields}
        out["required"] = [f.name for f in self.fields if not f.optional]
        out["additionalProperties"] = {"$ref": "#/$defs/JsonValue"} if self.cls.EXTRA else False
        return out


_CODECS: dict[type, _Codec] = {}


def codec(cls: type[Model]) -> _Codec:
    found = _CODECS.get(cls)
    if found is None:
        found = _CODECS[cls] = _Codec(cls)
    return found


class Model:
    """Base of the snapshot's classes: ``from_dict``/``to_dict``/``json_schema`` from annotations."""

    EXTRA: ClassVar[str | None] = None

    @classmethod
    def from_dict(cls, data: object, where: str = "snapshot.json") -> Self:
        """Parse strictly; raise ModelError naming ``where`` and the path to the bad value."""
        try:
            obj = codec(cls).decode(data)
        except BadValue as exc:
            raise ModelError(where, FactPath(reversed(exc.path)), exc.reason) from None
        assert isinstance(obj, cls)
        return obj

    def to_dict(self) -> JsonObject:
        """The JSON form: exactly the keys ``from_dict`` read (absent stays absent)."""
        return codec(type(self)).encode(self)

    def checked(self, where: str) -> Self:
        """This object as the strict ``from_dict`` reads its JSON form: for one built in code
        from outside data, whose types say a lot but not all (finite numbers, lone surrogates,
        patterns). Raise ModelError naming ``where`` and the path."""
        return self.from_dict(self.to_dict(), where)

    @classmethod
    def json_schema(cls) -> Schema:
        """A JSON Schema (draft 2020-12) document for this class and everything it holds."""
        compiler = _Compiler(collect_defs=True)
        root = codec(cls).schema(compiler)
        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            **root,
            "$defs": {
                **dict(sorted(compiler.defs.items())),
                "JsonValue": {"description": "any JSON value (finite numbers only)"},
            },
        }

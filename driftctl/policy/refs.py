"""What a rule refers to in the snapshot: components, attributes, node roles, value paths."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class RefKind(StrEnum):
    """The kinds of name a rule can get wrong."""

    COMPONENT = "component"
    ATTRIBUTE = "attribute"
    ROLE = "role"
    PATH = "path"


@dataclass(frozen=True)
class Ref:
    """One name a rule reads, and the policy key it is written under (``consumer.attribute``)."""

    key: str
    kind: RefKind
    value: str
    component: str | None = None  # for attributes: whose


class RuleConfig(Protocol):
    """A rule's kind-specific settings, validated (``rules/<kind>.py``), and the names it reads."""

    def refs(self) -> list[Ref]:
        """Every name the rule reads, for ``policy check``."""
        ...

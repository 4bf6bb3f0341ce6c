"""Fact paths: existing keys keep their spelling, odd keys are quoted, two keys never collide."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st
from snapshot_kit import diff_dicts, helm_release, snapshot_dict

from driftctl.snapshot import FactPath, PathError, Selector
from driftctl.snapshot.path import compile_pattern, parse, render

segments = st.one_of(
    st.text(max_size=12),  # anything: dots, quotes, brackets, controls, surrogates, empty
    st.text(alphabet='abc.-/_[]"*? \\\x1b', max_size=6),  # dense in the special characters
    st.builds(Selector, st.from_regex(r"[a-z][a-z0-9-]{0,10}", fullmatch=True)),
)
paths = st.lists(segments, min_size=1, max_size=6).map(FactPath)


@given(paths)
def test_parse_inverts_render(path: FactPath) -> None:
    assert parse(render(path)) == path


@given(paths, paths)
def test_render_is_injective(a: FactPath, b: FactPath) -> None:
    if a != b:
        assert render(a) != render(b)


@given(paths)
def test_rendering_shows_no_raw_control_character(path: FactPath) -> None:
    text = render(path)
    assert not [c for c in text if unicodedata.category(c) in ("Cc", "Cf", "Cs", "Zl", "Zp")]
    text.encode("utf-8")  # a lone surrogate is escaped, so the key can always be printed


@given(paths, paths)
def test_a_rendered_key_is_a_pattern_matching_exactly_itself(a: FactPath, b: FactPath) -> None:
    pattern = compile_pattern(render(a))
    assert pattern.match(render(a))
    assert (pattern.match(render(b)) is not None) == (a == b)


@pytest.mark.parametrize(
    "key",
    [
        "helm.ai-platform/docai.values.mcpHub.timeoutSeconds",
        "components.frontend.version",
        "nodes[control-plane].time.synchronized",
        "nodes.time.max_abs_offset_seconds",
        "workloads.ai-platform/Deployment/parser.containers.parser.image",
        "kubernetes.server_version",
    ],
)
def test_existing_keys_keep_their_spelling(key: str) -> None:
    assert render(parse(key)) == key


@pytest.mark.parametrize(
    ("path", "text"),
    [
        (("helm", "ai-platform/docai", "values", "a.b"), 'helm.ai-platform/docai.values["a.b"]'),
        (("labels", "app.kubernetes.io/version"), 'labels["app.kubernetes.io/version"]'),
        (("x", ""), 'x[""]'),
        (("x", 'say "hi"'), 'x["say \\"hi\\""]'),
        (("x", "a*"), 'x["a*"]'),
        (("x", "[control-plane]"), 'x["[control-plane]"]'),
        (("x", "\x1b]0;pwned\x07"), 'x["\\u001b]0;pwned\\u0007"]'),
        (("x", "\u202eevil"), 'x["\\u202eevil"]'),
        (("a b",), '["a b"]'),
    ],
    ids=["dot", "label", "empty", "quote", "glob", "bracket", "escape", "bidi", "first"],
)
def test_odd_segments_are_quoted(path: tuple[str, ...], text: str) -> None:
    assert render(FactPath(path)) == text
    assert parse(text) == FactPath(path)


def test_both_spellings_are_one_path() -> None:
    assert parse('helm["ai/docai"]') == parse("helm.ai/docai") == FactPath(("helm", "ai/docai"))
    assert parse('["helm"].x') == FactPath(("helm", "x"))


def test_a_selector_is_never_a_key() -> None:
    role = parse("nodes[control-plane].time")
    key = parse("nodes.control-plane.time")
    assert role != key and role[1] != key[1]
    assert isinstance(role[1], Selector) and str(role) == "nodes[control-plane].time"


@pytest.mark.parametrize(
    "text",
    ["", "a..b", "a.", ".a", "a[b", 'a["b"', "a[]", "a.b c", "a.*", "nodes[[]cp]", "a]b"],
)
def test_text_that_is_no_path_is_refused(text: str) -> None:
    with pytest.raises(PathError):
        parse(text)


def test_keys_never_collide_in_diff() -> None:
    """Issue 12: a key holding a dot must not stand in for the nested key it spells."""
    evil = {"a": {"b": "EVIL"}, "a.b": "SAME"}
    plain = {"a": {"b": "SAME"}}
    snaps = [
        (site, snapshot_dict(site, helm={"ns/r": helm_release(values)}))
        for site, values in (("one", evil), ("two", plain))
    ]
    found = {f.key: f for f in diff_dicts(snaps).findings}
    nested = found["helm.ns/r.values.a.b"]
    assert nested.values == {"one": "EVIL", "two": "SAME"} and nested.kind == "drift"
    dotted = found['helm.ns/r.values["a.b"]']
    assert dotted.values == {"one": "SAME", "two": None} and "absent at two" in dotted.message

"""Templates -> rules.json bytes (byte-stable), and rules.json -> template objects.

rules.json is the original gallery shape: an array of category groups, groups in order of first
appearance while walking published templates in file-name byte order, each template repeated whole under
every one of its categories; 2-space indented, UTF-8 unescaped, with a final newline.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import orjson

from rulepress.errors import UserError
from rulepress.model import Template

_INDENT = "      "  # a template object sits three levels deep: array > group > templates


def file_order_key(template_id: str) -> bytes:
    """Files are walked in the byte order of their names (so upper case comes first)."""
    return (template_id + ".md").encode("utf-8")


_encode_string = json.JSONEncoder(ensure_ascii=False).encode


def dumps_indented(value: Any, indent: str = "") -> str:
    """Exactly json.dumps(value, indent=2, ensure_ascii=False) with every line after the first prefixed by
    `indent`; several times faster, since json's own indented encoder is pure Python."""
    if isinstance(value, str):
        return _encode_string(value)
    if isinstance(value, dict):
        if not value:
            return "{}"
        inner = indent + "  "
        items = [f"{inner}{_encode_string(str(k))}: {dumps_indented(v, inner)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    if isinstance(value, list | tuple):
        if not value:
            return "[]"
        inner = indent + "  "
        return "[\n" + ",\n".join(inner + dumps_indented(v, inner) for v in value) + "\n" + indent + "]"
    return json.dumps(value)


def encode_nested(value: Any) -> bytes:
    """json.dumps(value, indent=2, ensure_ascii=False) in UTF-8, with every line indented six spaces: the
    value as it sits three levels deep in rules.json (array > group > templates). orjson writes it inside
    three arrays, which are cut off (same bytes as json's, ten times faster, and cheaper than indenting
    every line afterwards); what orjson refuses (integers beyond 64 bits) goes through dumps_indented.
    Floats are not supported: orjson writes them differently, and rules.json has none."""
    try:
        nested = orjson.dumps([[[value]]], option=orjson.OPT_INDENT_2)
    except orjson.JSONEncodeError:
        return (_INDENT + dumps_indented(value, _INDENT)).encode("utf-8")
    return nested[len(_NEST_OPEN):-len(_NEST_CLOSE)]


_NEST_OPEN, _NEST_CLOSE = b"[\n  [\n    [\n", b"\n    ]\n  ]\n]"


def fragment(template: Template) -> bytes:
    """The template's object as it appears inside rules.json (UTF-8), indented for its depth."""
    return encode_nested(template.to_json())


def assemble(entries: Sequence[tuple[Sequence[str], bytes | memoryview]]) -> tuple[bytes, list[tuple[int, int]]]:
    """(categories, fragment) pairs in file order -> rules.json bytes (the same bytes as
    json.dumps(indent=2)), and where each entry's fragment first appears in them (start, end)."""
    pieces, _, spans = assemble_pieces(entries)
    return b"".join(pieces), spans


def assemble_pieces(entries: Sequence[tuple[Sequence[str], bytes | memoryview]]
                    ) -> tuple[list[bytes | memoryview], int, list[tuple[int, int]]]:
    """assemble(), left in pieces to be written with one writev each thousand (joining 40 MB first costs as
    much again: the new memory is touched page by page), with the total size."""
    groups: dict[str, list[int]] = {}
    for n, (categories, _) in enumerate(entries):
        for category in categories:
            groups.setdefault(category, []).append(n)
    spans: list[tuple[int, int]] = [(0, 0)] * len(entries)
    if not groups:
        return [b"[]\n"], 3, spans
    seen = [False] * len(entries)
    pieces: list[bytes | memoryview] = [b"[\n"]
    size = 2
    for g, (name, members) in enumerate(groups.items()):
        head = ((",\n" if g else "") + "  {\n    \"name\": " + _encode_string(name) + ",\n    \"templates\": [\n"
                ).encode("utf-8")
        pieces.append(head)
        size += len(head)
        for i, n in enumerate(members):
            if i:
                pieces.append(b",\n")
                size += 2
            text = entries[n][1]
            if not seen[n]:
                seen[n] = True
                spans[n] = (size, size + len(text))
            pieces.append(text)
            size += len(text)
        pieces.append(b"\n    ]\n  }")
        size += 10
    pieces.append(b"\n]\n")
    return pieces, size + 3, spans


def render(templates: Iterable[Template]) -> bytes:
    published = sorted((t for t in templates if t.gallery), key=lambda t: file_order_key(t.id))
    return assemble([(t.categories, fragment(t)) for t in published])[0]


def read_rules_json(path: Path) -> list[dict[str, Any]]:
    """The unique template objects of a rules.json, in file order."""
    try:
        groups = json.loads(path.read_bytes())
    except FileNotFoundError:
        raise UserError(f"{path} does not exist; run 'python build.py' first") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise UserError(f"{path} is not valid JSON ({exc}); rebuild it with 'python build.py'") from None
    if not isinstance(groups, list):
        raise UserError(f"{path}: expected an array of category groups")
    seen: dict[str, dict[str, Any]] = {}
    for group in groups:
        for template in group.get("templates", []) if isinstance(group, dict) else []:
            if isinstance(template, dict) and isinstance(template.get("id"), str):
                seen.setdefault(template["id"], template)
    return [seen[k] for k in sorted(seen, key=file_order_key)]

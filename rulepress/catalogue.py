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


def fragment(template: Template) -> bytes:
    """The template's object as it appears inside rules.json (UTF-8), indented for its depth."""
    return (_INDENT + dumps_indented(template.to_json(), _INDENT)).encode("utf-8")


def assemble(entries: Iterable[tuple[Sequence[str], bytes]]) -> bytes:
    """(categories, fragment) pairs in file order -> rules.json bytes. Same bytes as json.dumps(indent=2)."""
    groups: dict[str, list[bytes]] = {}
    for categories, text in entries:
        for category in categories:
            groups.setdefault(category, []).append(text)
    if not groups:
        return b"[]\n"
    pieces: list[bytes] = [b"[\n"]  # one join at the end: rules.json can be tens of MB, copy it once
    for n, (name, fragments) in enumerate(groups.items()):
        head = "  {\n    \"name\": " + _encode_string(name) + ",\n    \"templates\": [\n"
        pieces.append((",\n" if n else "").encode() + head.encode("utf-8"))
        for i, text in enumerate(fragments):
            if i:
                pieces.append(b",\n")
            pieces.append(text)
        pieces.append(b"\n    ]\n  }")
    pieces.append(b"\n]\n")
    return b"".join(pieces)


def render(templates: Iterable[Template]) -> bytes:
    published = sorted((t for t in templates if t.gallery), key=lambda t: file_order_key(t.id))
    return assemble((t.categories, fragment(t)) for t in published)


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

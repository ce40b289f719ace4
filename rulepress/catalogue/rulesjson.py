"""Templates → rules.json bytes (byte-stable), and rules.json → the same typed values back.

rules.json is the original gallery shape: an array of category groups, groups in order of first
appearance while walking published templates in file-name byte order, each template repeated whole under
every one of its categories; 2-space indented, UTF-8 unescaped, with a final newline: exactly
`json.dumps(groups, indent=2, ensure_ascii=False) + "\\n"`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rulepress.catalogue.model import Entry, Template
from rulepress.catalogue.source import file_order_key
from rulepress.errors import UserError

_DEPTH = "      "  # a template object sits three levels deep: array > group > templates


def fragment(template: Template) -> bytes:
    """The template's object as it appears inside rules.json (UTF-8), indented for its depth."""
    text = json.dumps(template.to_json(), indent=2, ensure_ascii=False)
    return (_DEPTH + text.replace("\n", "\n" + _DEPTH)).encode("utf-8")  # JSON strings hold no raw newline


def assemble(entries: Sequence[tuple[Sequence[str], bytes]]) -> bytes:
    """(categories, fragment) pairs in file order → rules.json bytes."""
    groups: dict[str, list[bytes]] = {}
    for categories, text in entries:
        for category in categories:
            groups.setdefault(category, []).append(text)
    if not groups:
        return b"[]\n"
    parts = []
    for name, members in groups.items():
        head = '  {\n    "name": ' + json.dumps(name, ensure_ascii=False) + ',\n    "templates": [\n'
        parts.append(head.encode("utf-8") + b",\n".join(members) + b"\n    ]\n  }")
    return b"[\n" + b",\n".join(parts) + b"\n]\n"


def render(templates: Sequence[Template]) -> bytes:
    """rules.json for these templates (the published ones, in file order)."""
    published = sorted((t for t in templates if t.gallery), key=lambda t: file_order_key(t.id + ".md"))
    return assemble([(t.categories, fragment(t)) for t in published])


def read_objects(path: Path) -> list[dict[str, Any]]:
    """The unique template objects of a rules.json, in file order, as JSON objects: rules.json of any era
    (the changelog compares old releases, whose objects have fewer keys)."""
    try:
        groups = json.loads(path.read_bytes())
    except FileNotFoundError:
        raise UserError(f"{path} does not exist; run 'python build.py' first") from None
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise UserError(f"{path} is not valid JSON ({str(exc)[:200]}); rebuild it with 'python build.py'") from None
    if not isinstance(groups, list):
        raise UserError(f"{path}: expected an array of category groups")
    seen: dict[str, dict[str, Any]] = {}
    for group in groups:
        for obj in group.get("templates", []) if isinstance(group, dict) else []:
            if isinstance(obj, dict) and isinstance(obj.get("id"), str):
                seen.setdefault(obj["id"], obj)
    return [seen[k] for k in sorted(seen, key=lambda k: file_order_key(k + ".md"))]


def read_entries(path: Path) -> list[Entry]:
    """The published templates of a rules.json, in file order, as the typed values the build wrote."""
    entries = []
    for obj in read_objects(path):
        try:
            entries.append(Entry.from_json(obj))
        except (KeyError, TypeError, ValueError) as exc:
            raise UserError(f"{path}: template {str(obj.get('id'))[:100]!r} is not one this version of "
                            f"rulepress writes ({str(exc)[:200]}); rebuild it with 'python build.py'") from None
    return entries

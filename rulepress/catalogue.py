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


def fragment(template: Template) -> str:
    """The template's object as it appears inside rules.json, indented for its depth."""
    return _INDENT + json.dumps(template.to_json(), indent=2, ensure_ascii=False).replace("\n", "\n" + _INDENT)


def assemble(entries: Iterable[tuple[Sequence[str], str]]) -> bytes:
    """(categories, fragment) pairs in file order -> rules.json bytes. Same bytes as json.dumps(indent=2)."""
    groups: dict[str, list[str]] = {}
    for categories, text in entries:
        for category in categories:
            groups.setdefault(category, []).append(text)
    if not groups:
        return b"[]\n"
    parts = []
    for name, fragments in groups.items():
        parts.append("  {\n    \"name\": " + json.dumps(name, ensure_ascii=False) + ",\n    \"templates\": [\n"
                     + ",\n".join(fragments) + "\n    ]\n  }")
    return ("[\n" + ",\n".join(parts) + "\n]\n").encode("utf-8")


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

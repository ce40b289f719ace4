"""Release versions: `X.Y.Z` (bump2version's default parse), tags `vX.Y.Z`."""

from __future__ import annotations

import re

_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")


def parse_version(text: str) -> tuple[int, int, int] | None:
    m = _VERSION.match(text.strip())
    return (int(m[1]), int(m[2]), int(m[3])) if m else None


def tag_version(tag: str) -> tuple[int, int, int] | None:
    """The version of a release tag name (`v1.2.3` or `refs/tags/v1.2.3`); None for other names."""
    name = tag.removeprefix("refs/tags/")
    return parse_version(name[1:]) if name.startswith("v") else None

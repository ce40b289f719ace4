"""The ownership marker rulepress puts at the start of the code of every rule and action it writes.

`/* rulepress:<template id> s=<digest> */ ` then the template's code, on the same line (a rule script is
a function expression: a comment on its own line could change how it parses after `return`). `s=` is
present when the resource has secret values: an HMAC-SHA256 of the sorted (name, value) pairs keyed
with the deploy client's secret, cut to 16 hex digits, so a changed value can be told from an
unchanged one without the value (or a brute-forceable hash of it) ever being stored or printed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

_MARKER = re.compile(r"\A/\* rulepress:(?P<id>[^\s*]+)(?: s=(?P<digest>[0-9a-f]{16}))? \*/ ")


@dataclass(frozen=True)
class Marked:
    template_id: str | None  # None: the code carries no marker (not created by rulepress)
    digest: str | None
    code: str  # the code without the marker


def mark(code: str, template_id: str, digest: str | None) -> str:
    return f"/* rulepress:{template_id}{' s=' + digest if digest else ''} */ {code}"


def unmark(code: str) -> Marked:
    found = _MARKER.match(code)
    if not found:
        return Marked(None, None, code)
    return Marked(found["id"], found["digest"], code[found.end() :])


def secrets_digest(values: Mapping[str, str], key: str) -> str | None:
    """Digest of the secret values one resource uses; None when it uses none."""
    if not values:
        return None
    message = json.dumps(sorted(values.items()), ensure_ascii=False).encode("utf-8")
    return hmac.new(key.encode("utf-8"), message, hashlib.sha256).hexdigest()[:16]

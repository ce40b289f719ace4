"""A fast path for the plain YAML that front matter almost always is; PyYAML reads everything else.

`load(lines)` understands only this much, and returns None for anything beyond it (the caller then hands
the text to PyYAML, which also reports errors):

    key: plain or 'single' or "double" scalar
    key: [item, 'item', "item"]          # one line, no nesting
    key:                                 # a block list ...
      - item
    key:                                 # ... or a one-level mapping of scalars
      sub-key: scalar
    # whole-line comments and blank lines

Plain scalars are resolved with PyYAML's own YAML 1.1 resolver table, so `yes`, `~`, `0x1f`, `1.5`,
`2024-01-01` and the like mean what they mean to PyYAML; any scalar that does not resolve to a string, a
boolean, null or a plain decimal integer goes to PyYAML whole. tests/catalogue/test_yamlsubset.py checks
with hypothesis that whenever this returns a value, PyYAML returns the same one.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from yaml.constructor import SafeConstructor
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

_STR, _BOOL, _NULL, _INT = (f"tag:yaml.org,2002:{t}" for t in ("str", "bool", "null", "int"))
_resolve = Resolver().resolve
_BOOLS = SafeConstructor.bool_values
_DECIMAL_RE = re.compile(r"[-+]?(?:0|[1-9][0-9]*)\Z")
# a plain scalar we can read without PyYAML: no indicator first, none of ': ' ' #' inside, no trailing ':'
_PLAIN_RE = re.compile(r"[^\s\-?:,\[\]{}#&*!|>'\"%@`](?:[^:#\s]++|:(?=[^\s,\[\]{}])|(?<=\S)#|[ ](?=[^\s#]))*+\Z")
# the same inside [ ... ]: no flow indicators at all
_FLOW_PLAIN_RE = re.compile(r"[^\s\-?:,\[\]{}#&*!|>'\"%@`](?:[^:#\s,\[\]{}]++|(?<=\S)#|[ ](?=[^\s#,]))*+\Z")
_KEY_RE = re.compile(r"([A-Za-z_][A-Za-z0-9_./-]*|'[^']*'|\"[^\"\\]*\")[ ]*:(?:[ ]+(.*\S))?[ ]*\Z")
_SKIP_RE = re.compile(r"[ ]*(?:#.*)?\Z")  # a blank or comment line
_ITEM_RE = re.compile(r"([ ]*)-(?:[ ]+(.*\S))?[ ]*\Z")
_SINGLE_RE = re.compile(r"'((?:[^']++|'')*+)'\Z")
_DOUBLE_RE = re.compile(r"\"([^\"\\]*)\"\Z")
# what PyYAML reads as a line break or refuses as unprintable, and tabs: all left to PyYAML
_AWKWARD = "[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
_ASCII_AWKWARD_RE = re.compile("[\x00-\x09\x0b-\x1f\x7f]")  # the same class, within ASCII


@functools.cache
def _awkward_re() -> re.Pattern[str]:
    return re.compile(_AWKWARD)  # 4 ms to compile: only when some front matter is not ASCII


def _awkward(text: str) -> bool:
    return (_ASCII_AWKWARD_RE if text.isascii() else _awkward_re()).search(text) is not None


# YAML caps a simple key at 1024 characters; lines near that length (key or not) are left to PyYAML
_LONG_LINE_RE = re.compile(r"[^\n]{1000}")


class _Unsupported(Exception):
    """Beyond the subset: let PyYAML read it."""


# the first characters of every value PyYAML resolves to something other than a string
_RESOLVED_FIRST = frozenset(k for k in Resolver.yaml_implicit_resolvers if k)
_ANY_FIRST = None in Resolver.yaml_implicit_resolvers


# scalars already resolved, one table per pattern: front matter repeats the same few values (true,
# post-login, node22, ...) in every file; values are immutable, so sharing them is safe. Cleared when large.
_RESOLVED: dict[re.Pattern[str], dict[str, Any]] = {_PLAIN_RE: {}, _FLOW_PLAIN_RE: {}}
_RESOLVED_MAX = 4096


def _scalar(text: str, plain: re.Pattern[str] = _PLAIN_RE) -> Any:
    known = _RESOLVED[plain]
    try:
        return known[text]
    except KeyError:
        pass
    value = _resolve_scalar(text, plain)
    if len(known) >= _RESOLVED_MAX:
        known.clear()
    known[text] = value
    return value


def _resolve_scalar(text: str, plain: re.Pattern[str]) -> Any:
    first = text[:1]
    if first == "'":
        m = _SINGLE_RE.match(text)
        if m is None:
            raise _Unsupported
        return m.group(1).replace("''", "'")
    if first == '"':
        m = _DOUBLE_RE.match(text)
        if m is None:
            raise _Unsupported
        return m.group(1)
    if plain.match(text) is None:
        raise _Unsupported
    if first not in _RESOLVED_FIRST and not _ANY_FIRST:
        return text
    tag = _resolve(ScalarNode, text, (True, False))  # type: ignore[no-untyped-call]
    if tag == _STR:
        return text
    if tag == _BOOL:
        return _BOOLS[text.lower()]
    if tag == _NULL:
        return None
    if tag == _INT and _DECIMAL_RE.match(text):
        return int(text)
    raise _Unsupported  # floats, timestamps, octal, sexagesimal, merge keys: PyYAML's business


def _key(text: str) -> str:
    key = _scalar(text)
    if not isinstance(key, str):
        raise _Unsupported  # `yes:` or `1:` make a non-string key
    return key


# bare-name keys already read (what _key makes of them), and a marker for a value not in a memo
_SIMPLE_KEYS: dict[str, str] = {}
_UNKNOWN = object()


def _simple_key(text: str) -> str:
    key = _key(text) if text[0] in _RESOLVED_FIRST else text
    if len(_SIMPLE_KEYS) >= _RESOLVED_MAX:
        _SIMPLE_KEYS.clear()
    _SIMPLE_KEYS[text] = key
    return key


def _flow_list(text: str) -> list[Any]:
    inner = text[1:-1].strip(" ")
    if not inner:
        return []
    return [_scalar(part.strip(" "), _FLOW_PLAIN_RE) for part in inner.split(",")]


def _value(text: str) -> Any:
    if text[0] == "[":
        if not text.endswith("]") or "'" in text or '"' in text:
            raise _Unsupported
        return _flow_list(text)
    return _scalar(text)


# a top-level key line: group 1 is a key written as a bare name (the keys whose lines are reported), group 2
# any other key _KEY_RE takes, group 3 the value
_TOP_KEY_RE = re.compile(r"(?:([A-Za-z_][A-Za-z0-9_-]*)|([A-Za-z_][A-Za-z0-9_./-]*|'[^']*'|\"[^\"\\]*\"))"
                         r"[ ]*:(?:[ ]+(.*\S))?[ ]*\Z")


def _parse(lines: list[str], key_lines: dict[str, int]) -> dict[str, Any]:
    """The mapping; key_lines gets the 0-based line of each top-level key written as a bare name."""
    out: dict[str, Any] = {}
    plain = _RESOLVED[_PLAIN_RE]
    i, n = 0, len(lines)
    while i < n:
        line = lines[i]
        i += 1
        m = _TOP_KEY_RE.match(line)
        if m is None:
            if _SKIP_RE.match(line):
                continue
            raise _Unsupported
        simple, raw, value = m.groups()
        if simple is not None:
            key = _SIMPLE_KEYS.get(simple) or _simple_key(simple)
            if key in out:
                raise _Unsupported  # PyYAML's rule for repeated keys is its own
            key_lines[key] = i - 1
        else:
            key = _key(raw) if raw[0] in _RESOLVED_FIRST or raw[0] in "'\"" else raw
            if key in out:
                raise _Unsupported
        if value:
            known = plain.get(value, _UNKNOWN)  # the memo of _scalar, looked up here: most values are in it
            if known is not _UNKNOWN:
                out[key] = known
            elif value[0] == "#":
                raise _Unsupported  # `key: # comment`
            else:
                out[key] = _value(value)
            continue
        # a block below the key: list items or one level of mapping, or nothing (null)
        start = i
        while i < n and (lines[i][:1] in (" ", "-") or _SKIP_RE.match(lines[i])):
            i += 1
        out[key] = _block(lines[start:i])
    return out


def _block(block: list[str]) -> Any:
    content = [b for b in block if not _SKIP_RE.match(b)]
    if not content:
        return None
    indent = len(content[0]) - len(content[0].lstrip(" "))
    if any(len(b) - len(b.lstrip(" ")) != indent for b in content):
        raise _Unsupported
    if content[0].lstrip(" ")[0] == "-":
        items = []
        for b in content:
            m = _ITEM_RE.match(b)
            if m is None or not m.group(2):
                raise _Unsupported
            items.append(_value(m.group(2)))
        return items
    if indent == 0:
        raise _Unsupported
    mapping: dict[str, Any] = {}
    for b in content:
        m = _KEY_RE.match(b, indent)
        if m is None or not m.group(2):
            raise _Unsupported
        key = _key(m.group(1))
        if key in mapping or m.group(2)[0] == "#":
            raise _Unsupported
        mapping[key] = _value(m.group(2))
    return mapping


def load(text: str) -> dict[str, Any] | None:
    """The mapping this front matter text holds ({} for none), or None when it is beyond the subset."""
    found = load_with_lines(text)
    return None if found is None else found[0]


def load_with_lines(text: str) -> tuple[dict[str, Any], dict[str, int]] | None:
    """load(text), and the 0-based line of each top-level key written as a bare name ([A-Za-z_][\\w-]*,
    the keys a line-by-line reader finds: the front matter reader reports problems at these lines)."""
    if _awkward(text) or _LONG_LINE_RE.search(text):
        return None
    key_lines: dict[str, int] = {}
    try:
        return _parse(text.split("\n"), key_lines), key_lines
    except _Unsupported:
        return None

"""A file's text → its front matter (a mapping, with the file line of each key) and its body, line for line.

python-frontmatter splits the text. Its YAML handler takes any line of three or more dashes as a boundary;
the original catalogue format takes only a line that is exactly `---`, so our handler says so. Its load is
replaced by a safe load that keeps line numbers and contains hostile YAML:

- anchors and aliases are refused before any value is built (a few hundred bytes of nested aliases
  expand to gigabytes: "billion laughs");
- explicit tags (`!!int x`, `!!timestamp x`, `!custom`) are refused: front matter has no use for them,
  and PyYAML crashes on some of them instead of reporting;
- every value quoted in a message is cut to about 200 characters (`show`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml
from frontmatter.default_handlers import YAMLHandler

from rulepress.errors import Problem

_SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MAX_SHOWN = 200


class ExactYAMLHandler(YAMLHandler):
    """python-frontmatter's YAML handler with the original format's boundary: a line that is exactly ---."""

    FM_BOUNDARY = re.compile(r"^---$", re.MULTILINE)


HANDLER = ExactYAMLHandler()


@dataclass(frozen=True)
class Split:
    meta: dict[str, Any]
    meta_lines: dict[str, int]  # key -> file line (1-based)
    body: str  # the text after the closing '---' line, exactly
    body_offset: int  # file lines before the body


def clip(text: str, limit: int = MAX_SHOWN) -> str:
    return text if len(text) <= limit else text[:limit] + f"… ({len(text):,} characters)"


def show(value: Any) -> str:
    """A value as a message quotes it: short, whatever its size."""
    if isinstance(value, str):
        return clip(repr(value))
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "an empty value"
    if isinstance(value, int) and value.bit_length() > 600:  # repr refuses past 4,300 digits, and is long
        return f"a number of about {int(value.bit_length() * 0.30103):,} digits"
    try:
        return f"{type_name(value)} {clip(repr(value))}"
    except ValueError:  # a huge integer deep inside a list or mapping
        return f"a {type_name(value)} too large to show"


def type_name(value: Any) -> str:
    return {bool: "boolean", int: "number", float: "number", str: "string", list: "list",
            dict: "mapping", type(None): "empty value"}.get(type(value), type(value).__name__)


def split(path: str, text: str) -> tuple[Split | None, list[Problem]]:
    """Front matter exists only when the first line is exactly '---'; it runs to the next '---' line."""
    if not (text.startswith("---\n") or text == "---"):
        return Split({}, {}, text, 0), []
    if not HANDLER.FM_BOUNDARY.search(text, 4):
        return None, [Problem(path, 1, "front matter opens with '---' but no closing '---' line follows")]
    fm, content = HANDLER.split(text)  # raw parts: nothing stripped, so lines stay where they are
    # the body starts on the line after the closing '---' (content begins with that line's newline)
    body = content[1:] if content.startswith("\n") else content
    yaml_text = fm[1:] if fm.startswith("\n") else fm
    body_offset = 2 + yaml_text.count("\n") + (0 if yaml_text.endswith("\n") or not yaml_text else 1)
    meta, meta_lines, problems = load(path, yaml_text)
    if meta is None:
        return None, problems
    return Split(meta, meta_lines, body, body_offset), problems  # problems that still leave a mapping


def load(path: str, yaml_text: str) -> tuple[dict[str, Any] | None, dict[str, int], list[Problem]]:
    """Safe YAML → (mapping, key lines, problems); None when it cannot be used. Line 2 of the file is
    line 1 of the YAML."""
    try:
        for event in yaml.parse(yaml_text, Loader=_SAFE_LOADER):
            line = 2 + (event.start_mark.line if event.start_mark is not None else 0)
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                return None, {}, [Problem(path, line, "YAML anchors and aliases (&name, *name) are not "
                                                      "allowed in front matter; write the value out")]
            tag = getattr(event, "tag", None)
            implicit = getattr(event, "implicit", True)
            if tag is not None and not (implicit is True or (isinstance(implicit, tuple) and any(implicit))):
                shown = clip(tag.replace("tag:yaml.org,2002:", "!!"), 60)
                return None, {}, [Problem(path, line, f"explicit YAML tags ({shown}) are not "
                                                      f"allowed in front matter; write a plain value")]
        node = yaml.compose(yaml_text, Loader=_SAFE_LOADER)
    except yaml.YAMLError as exc:
        return None, {}, [_yaml_problem(path, exc)]
    except RecursionError:
        return None, {}, [Problem(path, 2, "front matter is nested too deeply to read")]
    if node is None:
        return {}, {}, []
    if not isinstance(node, yaml.MappingNode):
        kind = {"SequenceNode": "list", "ScalarNode": "single value"}.get(type(node).__name__, "value")
        return None, {}, [Problem(path, 2, f"front matter must be a mapping of keys to values, not a {kind}")]
    loader = _SAFE_LOADER(yaml_text)
    meta: dict[str, Any] = {}
    lines: dict[str, int] = {}
    problems: list[Problem] = []
    try:
        for key_node, value_node in node.value:
            line = 2 + key_node.start_mark.line
            try:
                key = loader.construct_object(key_node, deep=True)
                value = loader.construct_object(value_node, deep=True)
            except (yaml.YAMLError, ValueError, TypeError, OverflowError, RecursionError) as exc:
                why = getattr(exc, "problem", None) or (str(exc).splitlines() or [type(exc).__name__])[0]
                problems.append(Problem(path, line, f"front matter value cannot be read: {clip(why)}"))
                return None, {}, problems
            if not isinstance(key, str | int | float | bool) or isinstance(key, bool):
                problems.append(Problem(path, line, f"front matter key {show(key)} must be a plain name"))
                continue
            name = str(key)
            if name in meta:  # YAML keeps the last; so do we, and say so
                problems.append(Problem(path, line, f"key '{clip(name, 60)}' is given twice (first at line "
                                                    f"{lines[name]}); the last value counts"))
            meta[name], lines[name] = value, line
    finally:
        loader.dispose()
    return meta, lines, problems


def _yaml_problem(path: str, exc: yaml.YAMLError) -> Problem:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = 2 + (mark.line if mark is not None else 0)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context, start = getattr(exc, "context", None), getattr(exc, "context_mark", None)
    if context and start is not None and start.line + 2 != line:  # say where the open construct began
        problem += f" ({context.removeprefix('while ')} at line {start.line + 2})"
    return Problem(path, line, f"front matter is not valid YAML: {clip(problem)}")

"""Every class of problem a rule file can have, with its exact text and markdown line."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from rulepress.catalogue.build import build
from rulepress.catalogue.template import parse_template
from rulepress.errors import ProblemsError

RULE = "function (user, context, callback) {\n  callback(null, user, context);\n}"
ACTION = "exports.onExecutePostLogin = async (event, api) => {\n  api.access.deny('no');\n};"


def md(front: str, body: str = "# Title\n\nText.\n", code: str = RULE) -> str:
    head = f"---\n{front}---\n" if front else ""
    return f"{head}{body}\n```js\n{code}\n```\n"


def problems_of(tmp_path: Path, files: dict[str, str | bytes], *, strict: bool = False) -> list[str]:
    rules = tmp_path / "rules"
    rules.mkdir(exist_ok=True)
    for name, content in files.items():
        data = content.encode("utf-8") if isinstance(content, str) else content
        (rules / name).write_bytes(data)
    with pytest.raises(ProblemsError) as info:
        build(tmp_path, strict=strict)
    assert not (tmp_path / "rules.json").exists()
    return [str(p) for p in info.value.problems]


CASES: list[tuple[str, dict[str, str | bytes], list[str]]] = [
    ("malformed yaml", {"a.md": md("gallery: true\ncategories: [a, b\n")},
     ["rules/a.md:4: front matter is not valid YAML: did not find expected ',' or ']' (parsing a flow sequence "
      "at line 3)"]),
    ("unclosed front matter", {"a.md": "---\ngallery: true\n# T\n"},
     ["rules/a.md:1: front matter opens with '---' but no closing '---' line follows"]),
    ("front matter not a mapping", {"a.md": md("- a\n- b\n")},
     ["rules/a.md:2: front matter must be a mapping of keys to values, not a list"]),
    ("unknown key with a suggestion", {"a.md": md("gallery: true\ncategory: [webhook]\n")},
     ["rules/a.md:3: unknown key 'category' (did you mean 'categories'?)"]),
    ("key of the other kind", {"a.md": md("gallery: true\ntrigger: post-login\n")},
     ["rules/a.md:3: 'trigger' applies to actions, and this is a rule"]),
    ("wrong types", {"a.md": md("gallery: yes please\norder: -1\nenabled: 1\ncategories: []\n")},
     ["rules/a.md:2: 'gallery' must be true or false, not 'yes please'",
      "rules/a.md:3: 'order' must be a whole number of 0 or more, not number -1",
      "rules/a.md:4: 'enabled' must be true or false, not number 1",
      "rules/a.md:5: 'categories' must be a non-empty list of category names, not list []"]),
    ("no heading", {"a.md": md("gallery: true\n", body="Just text.\n")},
     ["rules/a.md:4: no heading: the first heading (such as '# Title') is the template's title"]),
    ("no code block", {"a.md": "---\ngallery: true\n---\n# Title\n\nNo code.\n"},
     ["rules/a.md:4: no code block: the first fenced or indented code block is the template's code"]),
    ("kind cannot be inferred", {"a.md": md("gallery: true\n", code="console.log('hi');")},
     ["rules/a.md:9: cannot tell whether this is a rule or an action: the code is neither a function "
      "expression nor a module that assigns exports; add 'kind: rule' or 'kind: action'"]),
    ("rule syntax error", {"a.md": md("gallery: true\n", code="function (user, context, callback) {\n"
                                                            "  callback(null user);\n}")},
     ["rules/a.md:10: JavaScript syntax error: missing ) after argument list"]),
    ("rule that is not a function", {"a.md": md("gallery: true\nkind: rule\n", code="42")},
     ["rules/a.md:10: a rule must be a function expression (function (user, context, callback) "
      "{ ... }), not number"]),
    ("action syntax error", {"a.md": md("gallery: true\n", code="exports.onExecutePostLogin = async "
                                                              "(event, api) => {\n  const = 1;\n};")},
     ["rules/a.md:10: JavaScript syntax error: Unexpected token '='"]),
    ("action without its handler", {"a.md": md("gallery: true\ntrigger: post-user-registration\n",
                                               code=ACTION)},
     ["rules/a.md:10: the post-user-registration trigger calls 'onExecutePostUserRegistration', but the "
      "code does not export it (exports.onExecutePostUserRegistration = async (event, api) => { … })"]),
    ("undeclared secret", {"a.md": md("gallery: true\n", code="exports.onExecutePostLogin = async (event) "
                                                            "=> {\n  return event.secrets.API_KEY;\n};")},
     ["rules/a.md:10: the code reads secrets 'API_KEY', which is not declared in 'secrets'"]),
    ("bad rule name", {"a.md": md("gallery: true\nname: 'bad_name.'\n")},
     ["rules/a.md:3: name 'bad_name.' is not one Auth0 accepts: letters, digits, spaces and hyphens, not "
      "starting or ending with a space or hyphen, at most 100 characters"]),
    ("duplicate names and orders", {"a.md": md("gallery: true\norder: 1\nname: Same\n"),
                                    "b.md": md("gallery: true\norder: 1\nname: same\n")},
     ["rules/b.md:3: order 1 in stage login_success is already used by rules/a.md",
      "rules/b.md:4: rule name 'same' is already used by rules/a.md"]),
    ("dependencies", {"a.md": md("gallery: true\ndependencies:\n  lodash: ^4.0.0\n  Bad Name: 1.0.0\n",
                                 code=ACTION)},
     ["rules/a.md:3: 'dependencies' has an invalid npm package name 'Bad Name'",
      "rules/a.md:3: dependency 'lodash' needs an exact version such as '1.2.3', not '^4.0.0'"]),
    ("too many dependencies and secrets",
     {"a.md": md("gallery: true\ndependencies: {" + ", ".join(f"p{i}: 1.0.0" for i in range(11)) + "}\n"
                 "secrets: [" + ", ".join(f"S{i}" for i in range(31)) + "]\n",
                 code="exports.onExecutePostLogin = async (event) => {\n  return ["
                      + ", ".join(f"event.secrets.S{i}" for i in range(31)) + "];\n};")},
     ["rules/a.md:3: an action may have at most 10 dependencies, this one has 11",
      "rules/a.md:4: an action may have at most 30 secrets, this one has 31"]),
    ("not utf-8", {"a.md": b"---\ngallery: true\n---\n# T\xe9\n"},
     ["rules/a.md:4: file is not valid UTF-8 (byte 0xe9 at offset 25)"]),
    ("empty", {"a.md": "  \n\n"}, ["rules/a.md:1: file is empty"]),
    ("binary", {"a.md": b"# T\n\x00\x01\x02"}, ["rules/a.md:2: file is binary (it contains a NUL byte), "
                                                 "not markdown"]),
    ("huge", {"a.md": "# T\n" + "x" * 600_000},
     ["rules/a.md:1: file is too large (600,004 bytes; the limit is 524,288)"]),
    ("ids differing only in case", {"a.md": md("gallery: true\nname: One\n"),
                                    "A.md": md("gallery: true\nname: Two\n")},
     ["rules/a.md:1: id clashes with rules/A.md: ids must differ in more than letter case (they are file "
      "names)"]),
]


@pytest.mark.parametrize("files,expected", [(c[1], c[2]) for c in CASES], ids=[c[0] for c in CASES])
def test_problem_is_reported_with_line(tmp_path: Path, files: dict[str, str | bytes],
                                       expected: list[str]) -> None:
    assert problems_of(tmp_path, files) == expected


def test_every_problem_of_every_file_is_reported_at_once(tmp_path: Path) -> None:
    found = problems_of(tmp_path, {case[0].replace(" ", "-") + ".md": case[1]["a.md"]
                                   for case in CASES if list(case[1]) == ["a.md"]})
    assert len(found) >= 20
    assert len({p.split(":")[0] for p in found}) >= 18


def test_warnings_pass_unless_strict(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {
        "a.md": md("gallery: true\nconfiguration: [UNUSED]\n",
                   code="function (user, context, callback) {\n  callback(null, configuration.KEY, "
                        "context);\n}"),
        "notes.txt": "not markdown",
    }
    expected = [
        "rules/a.md:3: warning: 'configuration' declares 'UNUSED', which the code never reads",
        "rules/a.md:11: warning: the code reads configuration 'KEY', which is not declared in "
        "'configuration'",
        "rules/notes.txt:1: warning: not a markdown file (.md); ignored",
    ]
    assert problems_of(tmp_path, files, strict=True) == expected
    result = build(tmp_path)
    assert sorted(str(w) for w in result.warnings) == sorted(expected)


def test_crlf_front_matter_is_recognised(tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "a.md").write_bytes(md("gallery: true\n").replace("\n", "\r\n").encode())
    assert build(tmp_path).published == 1


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["-", "#", "`", "~", " ", "\n", "\t", "a", ":", "[", "]", "|", ">", "*",
                                   "_", "=", "\r", "\\", "'", "---\n", "```\n", "\u00e9"]), max_size=80)
       .map("".join))
def test_parser_never_crashes(text: str) -> None:
    template, problems = parse_template("rules/x.md", text.encode("utf-8"))
    assert template is not None or problems
    for p in problems:
        assert p.path == "rules/x.md" and p.line >= 1 and p.message


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r"), max_size=60))
@example('if (a &lt; b && "c" < d > e) { x = "&amp;" }')
def test_code_comes_back_exactly_as_written(code: str) -> None:
    code = code.replace("`", "'").rstrip("\n")
    md = f"---\nkind: rule\n---\n# T\n\n```js\n{code}\n```\n"
    template, _ = parse_template("rules/x.md", md.encode("utf-8"))
    assert template is not None and template.code == code

"""The description as GitHub would render it: markdown-it-py with tables, strikethrough, autolinks and task
lists; raw HTML kept; headings and code blocks left out; the title from the first heading."""

from __future__ import annotations

from rulepress.catalogue.markdown import parse_body

BODY = """\
Intro
=====

| a | b |
|---|---|
| 1 | 2 |

~~gone~~ and www.example.com and https://example.com/x and mail@example.com, but not Appery.io.

- [ ] to do
- [x] done

<span class="raw">kept</span>

## Second heading

```js
code()
```

```test
- name: t
```
"""


def test_github_extensions_render_and_headings_and_code_leave_the_description() -> None:
    body = parse_body(BODY, 3)
    assert body.title == "Intro" and body.title_line == 4
    assert body.code is not None and (body.code.text, body.code.line, body.code.info) == ("code()", 21, "js")
    assert [(b.text, b.line) for b in body.tests] == [("- name: t", 25)]
    assert body.description == (
        "<table>\n<thead>\n<tr>\n<th>a</th>\n<th>b</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n<td>1</td>\n"
        "<td>2</td>\n</tr>\n</tbody>\n</table>\n"
        '<p><del>gone</del> and <a href="http://www.example.com">www.example.com</a> and '
        '<a href="https://example.com/x">https://example.com/x</a> and '
        '<a href="mailto:mail@example.com">mail@example.com</a>, but not Appery.io.</p>\n'
        '<ul class="contains-task-list">\n'
        '<li class="task-list-item"><input class="task-list-item-checkbox" disabled="disabled" type="checkbox"> '
        "to do</li>\n"
        '<li class="task-list-item"><input class="task-list-item-checkbox" checked="checked" disabled="disabled" '
        'type="checkbox"> done</li>\n</ul>\n'
        '<p><span class="raw">kept</span></p>\n')
    assert body.overview == ("gone and www.example.com and https://example.com/x and mail@example.com, but not "
                             "Appery.io.")


def test_a_setext_title_over_several_lines_keeps_no_indentation() -> None:
    assert parse_body("First\n   second\n===\n\n    code\n", 0).title == "First\nsecond"

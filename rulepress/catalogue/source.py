"""The rules/ folder → the markdown files to read, in catalogue order, and each file's bytes → text.

This is the reading layer's guard: only regular files inside the repository are read. A symlink that
leads out of the repository, a symlink loop, a folder or a FIFO named `x.md`, a file name that is not
UTF-8 or not a safe id: each is a problem naming the path, never a crash and never a silent skip.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from rulepress.errors import Problem, UserError

MAX_FILE_BYTES = 512 * 1024
# an id is the file name without .md: it becomes a file name again (export, migrate) and a URL part
# (the gallery), so it must be one plain token
ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


@dataclass(frozen=True)
class SourceFile:
    rel: str  # as reported in messages and cached: "rules/foo.md"
    path: Path  # where to read it


def file_order_key(name: str) -> bytes:
    """Files are walked in the byte order of their names (so upper case comes first)."""
    return name.encode("utf-8", "surrogateescape")


def _shown(rel: str) -> str:
    """A path as a message shows it on one line: bytes that are not UTF-8 and control characters escaped."""
    text = rel.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def scan(root: Path, rules_dir: str) -> tuple[list[SourceFile], list[Problem]]:
    """The markdown files of root/rules_dir in file order, and a problem for everything else in it."""
    folder = root / rules_dir
    if not folder.is_dir():
        raise UserError(f"no {rules_dir}/ folder in {root}: the catalogue lives there")
    real_root = root.resolve()
    if not folder.resolve().is_relative_to(real_root):
        raise UserError(f"{rules_dir}/ leads to {folder.resolve()}, outside the repository: not followed (a "
                        f"symlink to a folder elsewhere would publish files nobody reviews here)")
    files: list[SourceFile] = []
    problems: list[Problem] = []
    for entry in sorted(os.scandir(folder), key=lambda e: file_order_key(e.name)):
        rel = f"{rules_dir}/{entry.name}"
        name = entry.name
        if not name.endswith(".md"):
            if not name.startswith("."):  # .gitkeep, .DS_Store: not ours to mention
                problems.append(Problem(_shown(rel), 1, "not a markdown file (.md); ignored", "warning"))
            continue
        try:
            name.encode("utf-8")
        except UnicodeEncodeError:  # bytes that are not UTF-8, kept as surrogates by the file system codec
            problems.append(Problem(_shown(rel), 1, "the file name is not valid UTF-8; rename it (its id "
                                                    "would be the name)"))
            continue
        if name.startswith("."):
            problems.append(Problem(_shown(rel), 1, "hidden file ignored: its name starts with '.'", "warning"))
            continue
        problem = _check_entry(entry, _shown(rel), real_root)
        if problem is not None:
            problems.append(problem)
            continue
        template_id = name[:-3]
        if not ID_RE.match(template_id):
            problems.append(Problem(_shown(rel), 1, f"the id {template_id[:60]!r} (the file name) must be one token of "
                                            f"letters, digits, '.', '_' and '-', starting with a letter or "
                                            f"digit, at most 128 characters; rename the file"))
            continue
        files.append(SourceFile(rel, Path(entry.path)))
    return files, problems


def _check_entry(entry: os.DirEntry[str], rel: str, real_root: Path) -> Problem | None:
    """A problem if the entry is not a regular file inside the repository (symlinks are followed only
    inside it)."""
    try:
        st = entry.stat(follow_symlinks=True)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return Problem(rel, 1, "symlink loop: the link never reaches a file")
        if entry.is_symlink():
            return Problem(rel, 1, "broken symlink: the file it points to does not exist")
        return Problem(rel, 1, f"cannot read the file: {exc.strerror or exc}")
    if entry.is_symlink():
        target = Path(os.path.realpath(entry.path))
        if not target.is_relative_to(real_root):
            return Problem(rel, 1, f"symlink to {target}, outside the repository: not followed (copy the "
                                   f"file in, or link to one inside the repository)")
    if stat.S_ISDIR(st.st_mode):
        return Problem(rel, 1, "a folder named like a markdown file: only files are read")
    if not stat.S_ISREG(st.st_mode):
        return Problem(rel, 1, "not a regular file (a FIFO, socket or device): only files are read")
    return None


def read(source: SourceFile) -> tuple[bytes | None, Problem | None]:
    """The file's bytes, or the problem that stopped reading them."""
    try:
        # O_NONBLOCK: a file swapped for a FIFO since the scan cannot hang the build
        fd = os.open(source.path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        return None, Problem(source.rel, 1, f"cannot read the file: {exc.strerror or exc}")
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return None, Problem(source.rel, 1, "not a regular file: only files are read")
        if st.st_size > MAX_FILE_BYTES:
            return None, Problem(source.rel, 1, _too_large(st.st_size))
        with os.fdopen(os.dup(fd), "rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        return None, Problem(source.rel, 1, f"cannot read the file: {exc.strerror or exc}")
    finally:
        os.close(fd)
    return data, None


def _too_large(size: int) -> str:
    return f"file is too large ({size:,} bytes; the limit is {MAX_FILE_BYTES:,})"


def decode(path: str, data: bytes) -> tuple[str | None, list[Problem]]:
    """Bytes → text with '\\n' line ends, refusing what is not a readable markdown file."""
    if len(data) > MAX_FILE_BYTES:
        return None, [Problem(path, 1, _too_large(len(data)))]
    if not data or data.isspace():
        return None, [Problem(path, 1, "file is empty")]
    if b"\0" in data:
        line = data[: data.index(b"\0")].count(b"\n") + 1
        return None, [Problem(path, line, "file is binary (it contains a NUL byte), not markdown")]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, [Problem(path, line, f"file is not valid UTF-8 (byte 0x{data[exc.start]:02x} "
                                          f"at offset {exc.start})")]
    text = text.removeprefix("\ufeff")
    return text.replace("\r\n", "\n").replace("\r", "\n"), []

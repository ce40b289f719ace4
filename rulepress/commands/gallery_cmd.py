"""`rulepress gallery [--out DIR] [--serve [--port N]]`: the published catalogue as a static web site."""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from rulepress.errors import UserError
from rulepress.gallery import build_site

DESCRIPTION = ("Build a static site of the published catalogue: an index with search and filters, and a "
               "page per template (description, settings, highlighted code with a copy button, test cases). "
               "It works opened from disk or served from anywhere. With --serve, serve it on 127.0.0.1 and "
               "rebuild it (and reload the page) when a file in rules/ changes.")


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser("gallery", help="build (or serve) the catalogue as a web site",
                                                description=DESCRIPTION)
    p.add_argument("--out", type=Path, metavar="DIR", help="where to write the site (default: site/; with "
                   "--serve, a temporary folder)")
    p.add_argument("--serve", action="store_true", help="serve on 127.0.0.1 and rebuild on changes")
    p.add_argument("--port", type=int, default=8000, help="the port for --serve (default: 8000; 0: any free one)")
    p.add_argument("--root", type=Path, default=None,
                   help="the repository folder (default: found upwards from here, as git does)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not args.serve:
        site = build_site(args.root, args.out or args.root / "site", fresh=False)
        print(f"gallery written to {site.out}: {site.pages} page(s), {site.bytes / 1024:.0f} KB; "
              f"open {site.out / 'index.html'}")
        return 0
    out = args.out or Path(tempfile.mkdtemp(prefix="rulepress-gallery-"))
    server = GalleryServer(args.root, out, args.port)
    print(f"serving the gallery on {server.url} (Ctrl-C to stop); it rebuilds when rules/ changes", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


class GalleryServer:
    """The site on 127.0.0.1, rebuilt by a watcher when a file of the repository's catalogue changes; pages
    reload themselves (static/live.js asks /__gallery/version)."""

    def __init__(self, root: Path, out: Path, port: int, *, poll: float = 0.3) -> None:
        self.root, self.out, self.poll = root, out, poll
        self.version = 0
        self._stop = threading.Event()
        self._seen = self._fingerprint()
        build_site(root, out, live=True)
        handler = partial(_Handler, self, directory=str(out))
        try:
            self.httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)
        except OSError as exc:
            raise UserError(f"cannot serve on 127.0.0.1:{port}: {exc.strerror or exc}") from None
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self._watcher = threading.Thread(target=self._watch, daemon=True)
        self._watcher.start()

    def _fingerprint(self) -> list[tuple[str, int, int]]:
        files = [self.root / "setup.cfg", *sorted((self.root / "rules").glob("*"))]
        out = []
        for f in files:
            try:
                st = f.stat()
            except OSError:
                continue
            out.append((f.name, st.st_mtime_ns, st.st_size))
        return out

    def _watch(self) -> None:
        while not self._stop.wait(self.poll):
            now = self._fingerprint()
            if now == self._seen:
                continue
            self._seen = now
            try:
                build_site(self.root, self.out, live=True)
                self.version += 1
                print("gallery rebuilt", flush=True)
            except UserError as exc:
                print(f"gallery not rebuilt:\n{exc}", file=sys.stderr, flush=True)

    def serve_forever(self) -> None:
        self.httpd.serve_forever(poll_interval=0.2)

    def start(self) -> GalleryServer:
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()


class _Handler(SimpleHTTPRequestHandler):
    def __init__(self, gallery: GalleryServer, *args: Any, **kwargs: Any) -> None:
        self.gallery = gallery
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
        if self.path == "/__gallery/version":
            body = f"{self.gallery.version}".encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Cache-Control", "no-store")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the standard library's name)
        pass

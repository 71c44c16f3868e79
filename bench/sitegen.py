"""A simulated government site of 11,111 static pages for the link-checker benchmark, served by nginx.

Shape (like the reference run: 111,110 links, about 11,100 unique):
- ``/`` homepage → 10 sections ``/s{i}/`` → 10 subsections ``/s{i}/{j}/`` → 10 columns ``/s{i}/{j}/{k}/``
  → 10 articles ``/s{i}/{j}/{k}/t{n}.html``: 11,111 pages; every page but the articles links its 10 children.
- every article has 10 links: the homepage, its subsection and column, two siblings, the site's logo (img), stylesheet (link) and
  script (script), a map (iframe), and either an external page (another port; 1 of the 20 is gone) or a dead
  internal link (1 article in 100), so about 1 % of unique links are dead.

The tree is static files; nginx serves them (one worker, no access log) so that the server is never what a
checker waits for, and sends the ``LinkChecker`` header that lets linkchecker go above 10 requests a second.
"""

from __future__ import annotations

import shutil
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

BRANCH = 10
EXTERNAL_PAGES = 20
EXTERNAL_GONE_EVERY = 20  # external e19 does not exist
DEAD_EVERY = 100  # article n % 100 == 99 links a page that does not exist


@dataclass(frozen=True)
class SiteShape:
    pages: int
    links: int
    unique_links: int
    dead_unique: int


def _html(title: str, body: str, head: str = "") -> str:
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title>{head}</head>'
        f"<body><h1>{title}</h1>{body}</body></html>\n"
    )


def _list(hrefs: list[str]) -> str:
    return "<ul>" + "".join(f'<li><a href="{h}">栏目 {i}</a></li>' for i, h in enumerate(hrefs)) + "</ul>"


def generate(root: Path, external_base: str) -> SiteShape:
    """Write the tree under ``root/site`` and the external pages under ``root/external``; return its shape."""
    site, ext = root / "site", root / "external"
    shutil.rmtree(root, ignore_errors=True)
    (site / "static").mkdir(parents=True)
    ext.mkdir(parents=True)
    (site / "static" / "site.css").write_text("body{font-family:sans-serif}\n")
    (site / "static" / "site.js").write_text("void 0;\n")
    (site / "static" / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (site / "map.html").write_text(_html("地图", "<p>地图</p>"))  # only linked by iframe, never by <a>
    for n in range(EXTERNAL_PAGES):
        if n % EXTERNAL_GONE_EVERY != EXTERNAL_GONE_EVERY - 1:
            (ext / f"e{n}.html").write_text(_html("外部", "<p>外部网站</p>"))

    links = 0
    article_no = 0
    targets: set[str] = set()
    _write(site / "index.html", "首页", [f"/s{i}/" for i in range(BRANCH)], targets)
    links += BRANCH
    for i in range(BRANCH):
        _write(site / f"s{i}" / "index.html", f"部门 {i}", [f"/s{i}/{j}/" for j in range(BRANCH)], targets)
        links += BRANCH
        for j in range(BRANCH):
            base = f"/s{i}/{j}"
            _write(site / f"s{i}/{j}/index.html", f"科室 {i}-{j}", [f"{base}/{k}/" for k in range(BRANCH)], targets)
            links += BRANCH
            for k in range(BRANCH):
                column = f"{base}/{k}/"
                _write(site / column[1:] / "index.html", "栏目", [f"{column}t{n}.html" for n in range(BRANCH)], targets)
                links += BRANCH
                for n in range(BRANCH):
                    hrefs = _article_links(column, n, article_no, external_base)
                    targets.update(hrefs)
                    links += len(hrefs)
                    (site / column[1:] / f"t{n}.html").write_text(_article(hrefs))
                    article_no += 1
    dead = sum(1 for t in targets if "/gone/" in t or _external_gone(t))
    pages = 1 + BRANCH + BRANCH**2 + BRANCH**3 + BRANCH**4
    return SiteShape(pages=pages, links=links, unique_links=len(targets | {"/"}), dead_unique=dead)


def _write(path: Path, title: str, children: list[str], targets: set[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_html(title, _list(children)))
    targets.update(children)


def _article_links(column: str, n: int, article_no: int, external_base: str) -> list[str]:
    sibling = [f"{column}t{(n + d) % BRANCH}.html" for d in (1, 2)]
    if article_no % DEAD_EVERY == DEAD_EVERY - 1:
        odd = f"/gone/{article_no}.html"
    else:
        odd = f"{external_base}/e{article_no % EXTERNAL_PAGES}.html"
    parent = column[: column.rstrip("/").rfind("/") + 1]  # the subsection, in the breadcrumb
    return ["/", parent, column, *sibling, "/static/logo.png", "/static/site.js", "/map.html", odd, "/static/site.css"]


def _external_gone(target: str) -> bool:
    if "/e" not in target or not target.startswith("http"):
        return False
    n = int(target.rsplit("/e", 1)[1].removesuffix(".html"))
    return n % EXTERNAL_GONE_EVERY == EXTERNAL_GONE_EVERY - 1


def _article(hrefs: list[str]) -> str:
    home, parent, column, s1, s2, logo, script, frame, odd, css = hrefs
    body = (
        f'<a href="{home}">首页</a> &gt; <a href="{parent}">科室</a> &gt; <a href="{column}">返回栏目</a> <img src="{logo}" alt="标识">'
        f'<p>正文。<a href="{s1}">上一篇</a> <a href="{s2}">下一篇</a> <a href="{odd}">相关链接</a></p>'
        f'<iframe src="{frame}"></iframe><script src="{script}"></script>'
    )
    return _html("文章", body, head=f'<link rel="stylesheet" href="{css}">')


NGINX_CONF = """
worker_processes 1;
daemon off;
pid {run}/nginx.pid;
error_log {run}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    keepalive_timeout 60s;
    types {{ text/html html; text/css css; application/javascript js; image/png png; }}
    default_type application/octet-stream;
    charset utf-8;
    client_body_temp_path {run}/tmp; proxy_temp_path {run}/tmp; fastcgi_temp_path {run}/tmp;
    uwsgi_temp_path {run}/tmp; scgi_temp_path {run}/tmp;
    server {{
        listen 127.0.0.1:{site_port};
        root {root}/site;
        index index.html;
        add_header LinkChecker benchmark always;
        location = /robots.txt {{ return 404; }}
    }}
    server {{
        listen 127.0.0.1:{ext_port};
        root {root}/external;
        add_header LinkChecker benchmark always;
    }}
}}
"""


class Nginx:
    """nginx serving the generated tree on two ports: the site, and an 'external' host."""

    def __init__(self, root: Path, site_port: int, ext_port: int) -> None:
        self.root, self.site_port, self.ext_port = root, site_port, ext_port
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def site(self) -> str:
        return f"http://127.0.0.1:{self.site_port}"

    def start(self) -> None:
        run = self.root / "run"
        (run / "tmp").mkdir(parents=True, exist_ok=True)
        conf = run / "nginx.conf"
        conf.write_text(NGINX_CONF.format(run=run, root=self.root, site_port=self.site_port, ext_port=self.ext_port))
        binary = shutil.which("nginx") or "/usr/sbin/nginx"
        self._proc = subprocess.Popen([binary, "-p", str(run), "-c", str(conf)], stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.site + "/", timeout=1) as resp:
                    if resp.status == 200:
                        return
            except OSError as exc:
                if self._proc.poll() is not None:
                    raise RuntimeError(
                        f"nginx exited: {self._proc.stderr.read().decode() if self._proc.stderr else ''}"
                    ) from exc
                time.sleep(0.05)
        raise RuntimeError("nginx did not answer within 10 s")

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            self._proc.wait(timeout=10)

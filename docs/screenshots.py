"""The README's screenshots of the console: ``.venv/bin/python docs/screenshots.py``.

Runs what ``make demo`` runs (the embedded stack, the simulator, the demo prefecture's quarter in accelerated time,
the notice frozen and published), then signs in to the console as the city administrator with Debian's chromium
(Playwright, headless; never ``playwright install``) and saves, at 1280×800:

- docs/img/console-overview.png — 总览 of 2022Q3;
- docs/img/console-target.png — the target page of 翠湖区人民政府's portal (站点无法访问).

Each PNG is reduced to a 256-colour palette (the pages are flat colours and text), which keeps it under 200 KB.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import sys
import tempfile
from pathlib import Path

from PIL import Image
from playwright.async_api import ViewportSize, async_playwright

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run as a script from anywhere: the repository's packages first

from xunjian.demo import DEMO_SCENARIO, Demo  # noqa: E402

OUT = HERE / "img"
PASSWORD = "screenshots-admin-2022"
TARGET = "cuihu-portal"
SIZE: ViewportSize = {"width": 1280, "height": 800}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


def small_png(data: bytes) -> bytes:
    image = Image.open(io.BytesIO(data)).convert("RGB")
    out = io.BytesIO()
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(out, format="PNG", optimize=True)
    return out.getvalue()


async def shoot(console: str, out: Path) -> list[Path]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        context = await browser.new_context(
            base_url=console, viewport=SIZE, locale="zh-CN", timezone_id="Asia/Shanghai"
        )
        page = await context.new_page()
        await page.goto("/login")
        await page.get_by_label("用户名").fill("admin")
        await page.get_by_label("密码").fill(PASSWORD)
        await page.get_by_role("button", name="登录").click()
        await page.wait_for_url(lambda url: "/login" not in url)
        saved = []
        for name, path in (("console-overview.png", "/"), ("console-target.png", f"/targets/{TARGET}")):
            await page.goto(path)
            await page.wait_for_load_state("networkidle")
            target = out / name
            target.write_bytes(small_png(await page.screenshot(full_page=False)))
            saved.append(target)
        await browser.close()
    return saved


def main() -> None:
    parser = argparse.ArgumentParser(prog="docs/screenshots.py")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="xunjian-screenshots-") as tmp:
        demo = Demo(DEMO_SCENARIO, Path(tmp) / "out", env={"REGISTRY_BOOTSTRAP_ADMIN_PASSWORD": PASSWORD})
        demo.start()
        try:
            asyncio.run(demo.run_quarter())
            console = demo.stack.children["console"].url
            for path in asyncio.run(shoot(console, args.out)):
                print(f"{path} ({path.stat().st_size // 1024} KiB)")
        finally:
            demo.stop()


if __name__ == "__main__":
    main()

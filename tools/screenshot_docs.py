"""Screenshot every page of the built docs in headless Chromium, to look at them.

The docs are part of the product: a table that scrolls, a code block that
colours numbers, a signature nobody can read show only when the page is
seen.  Build the site first (``tox -e docs``), then::

    python tools/screenshot_docs.py [docs/_build/html] [OUTDIR]

Each page at a laptop's width and at a phone's, as PNGs of one screen each
(``api-desktop-01.png``, ``api-desktop-02.png``, ...: a whole long page in
one image would be scaled past reading), in OUTDIR (default
``docs/_build/screenshots``).  Uses Debian's Chromium through
playwright (``pip install playwright``; never ``playwright install``);
``CLOSEFRAME_CHROMIUM`` points at another binary.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from playwright.sync_api import FloatRect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CLOSEFRAME_CHROMIUM", "/usr/bin/chromium")
# Headless, and nothing that reaches beyond this machine (as tests/browser).
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
WIDTHS = {"desktop": 1280, "phone": 390}
HEIGHT = 900


def main(argv: list[str]) -> int:
    site = Path(argv[0]) if argv else ROOT / "docs" / "_build" / "html"
    outdir = Path(argv[1]) if len(argv) > 1 else ROOT / "docs" / "_build" / "screenshots"
    pages = sorted(
        page for page in site.glob("*.html") if page.name not in ("genindex.html", "search.html")
    )
    if not pages:
        print(f"no pages in {site}: build the docs first (tox -e docs)", file=sys.stderr)
        return 1
    outdir.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        for label, width in WIDTHS.items():
            page = browser.new_page(viewport={"width": width, "height": HEIGHT})
            for source in pages:
                page.goto(source.resolve().as_uri())
                height = page.evaluate("document.documentElement.scrollHeight")
                for number, top in enumerate(range(0, height, HEIGHT), start=1):
                    target = outdir / f"{source.stem}-{label}-{number:02}.png"
                    clip: FloatRect = {
                        "x": 0,
                        "y": top,
                        "width": width,
                        "height": min(HEIGHT, height - top),
                    }
                    page.screenshot(path=str(target), full_page=True, clip=clip)
                    print(target)
            page.close()
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Where and how the browser runs; shared by conftest.py and helpers.py (imports nothing heavy)."""

import os
from pathlib import Path

CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# name -> (width, height, device scale factor). "zoom200" is a 1366 px window at 200 % zoom;
# "phone" is a client's own phone opening a self-report link.
SIZES = {
    "desktop": (1366, 768, 1),
    "tablet": (820, 1180, 1),
    "phone": (390, 844, 1),
    "zoom200": (683, 384, 2),
}

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "screenshots" / "e2e"

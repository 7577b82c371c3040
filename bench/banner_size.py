"""Measure the banner runtime's size: what /c/<site>.js serves besides the site's configuration.

Prints raw and gzip (level 9) bytes of the runtime JS and CSS, as written and as served
(the embed endpoint drops comments and indentation). Budget: JS + CSS <= 8 KB gzip.

    python bench/banner_size.py
"""

import gzip
import os
import sys
from pathlib import Path

BUDGET = 8 * 1024
ROOT = Path(__file__).resolve().parents[1]


def gz(text):
    return len(gzip.compress(text.encode(), compresslevel=9, mtime=0))


def measure():
    """{name: (raw bytes, gzip bytes)} for the runtime as written and as served."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SECRET_KEY", "size-measurement-only")
    import django

    django.setup()
    from cookies.views import RUNTIME_DIR, runtime

    js_src = (RUNTIME_DIR / "banner.js").read_text(encoding="utf-8")
    css_src = (RUNTIME_DIR / "banner.css").read_text(encoding="utf-8")
    js, css = runtime()
    return {
        "banner.js (source)": (len(js_src.encode()), gz(js_src)),
        "banner.css (source)": (len(css_src.encode()), gz(css_src)),
        "source JS + CSS": (len((js_src + css_src).encode()), gz(js_src + css_src)),
        "served JS": (len(js.encode()), gz(js)),
        "served CSS": (len(css.encode()), gz(css)),
        # One response carries both, so they compress together.
        "served JS + CSS": (len((js + css).encode()), gz(js + css)),
    }


def main():
    sizes = measure()
    width = max(map(len, sizes))
    print(f"{'':{width}}  {'raw':>7}  {'gzip -9':>7}")
    for name, (raw, zipped) in sizes.items():
        print(f"{name:{width}}  {raw:>7}  {zipped:>7}")
    served = sizes["served JS + CSS"][1]
    print(
        f"budget {BUDGET} bytes gzip: {'OK' if served <= BUDGET else 'OVER'} ({served} bytes, {BUDGET - served} left)"
    )
    return 0 if served <= BUDGET else 1


if __name__ == "__main__":
    sys.exit(main())

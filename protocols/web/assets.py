"""Third-party browser code the consoles use, fetched by the build (never from a CDN at run
time, never committed): htmx, pinned to one release and checked against the npm registry's
SHA-512 integrity of that release before it is unpacked into var/web-assets/. Without it
the pages work as plain forms (progressive enhancement).

    python -m protocols.web.assets fetch [--var DIR]   (make venv / run / test do it)"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import sys
import tarfile
import urllib.request
from pathlib import Path

HTMX_VERSION = "2.0.4"
HTMX_TARBALL = f"https://registry.npmjs.org/htmx.org/-/htmx.org-{HTMX_VERSION}.tgz"
HTMX_INTEGRITY = "sha512-HLxMCdfXDOJirs3vBZl/ZLoY+c7PfM4Ahr2Ad4YXh6d22T5ltbTXFFkpx9Tgb2vvmWFMbIc3LqN2ToNkZJvyYQ=="
HTMX_MEMBER = "package/dist/htmx.min.js"
FILE = "htmx.min.js"
MAX_BYTES = 5 * 1024 * 1024


def assets_dir(var: Path) -> Path:
    return var / "web-assets"


def integrity_ok(data: bytes, integrity: str) -> bool:
    algorithm, _, expected = integrity.partition("-")
    return algorithm == "sha512" and base64.b64encode(hashlib.sha512(data).digest()).decode() == expected


def unpack(tarball: bytes) -> bytes:
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        member = archive.extractfile(HTMX_MEMBER)
        if member is None:
            raise ValueError(f"{HTMX_MEMBER} is not in the htmx package")
        return member.read()


def fetch(var: Path, url: str = HTMX_TARBALL) -> Path:
    """Download and check the pinned htmx once (kept across runs: the version is in the
    stamp file); the path of the script."""
    target_dir = assets_dir(var)
    target, stamp = target_dir / FILE, target_dir / f"{FILE}.version"
    if target.exists() and stamp.exists() and stamp.read_text().strip() == HTMX_VERSION:
        return target
    with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 (a fixed https URL)
        tarball = response.read(MAX_BYTES + 1)
    if len(tarball) > MAX_BYTES or not integrity_ok(tarball, HTMX_INTEGRITY):
        raise ValueError(f"htmx {HTMX_VERSION} from {url} does not match its pinned integrity")
    target_dir.mkdir(parents=True, exist_ok=True)
    target.write_bytes(unpack(tarball))
    stamp.write_text(HTMX_VERSION + "\n")
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m protocols.web.assets")
    parser.add_argument("command", choices=["fetch"])
    parser.add_argument("--var", type=Path, default=Path("var"))
    args = parser.parse_args(argv)
    try:
        path = fetch(args.var)
    except (OSError, ValueError, tarfile.TarError) as exc:
        print(f"warning: htmx not fetched ({exc}); the consoles work without it, as plain forms", file=sys.stderr)
        return 0
    print(f"htmx {HTMX_VERSION}: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

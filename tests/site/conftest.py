"""Fixtures of the site tests: they check the website that `make book` built.

Environment:
    DLBOOK_SITE_DIR     the built HTML (default: _build/html in the repository)
    DLBOOK_TOC          the table of contents the site was built from (default: _toc.yml)
    DLBOOK_SCREENSHOTS  where the browser test writes screenshots (default: _build/screenshots
                        beside the site, i.e. <site>/../screenshots)
    CI                  under CI=true a missing site or browser fails instead of skipping
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

IN_CI = os.environ.get("CI", "").lower() == "true"


def skip_or_fail(message: str) -> None:
    """Skip with a clear message; under CI=true, fail: CI must run every check."""
    if IN_CI:
        pytest.fail(f"{message} (CI=true: this check must run)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def site_dir() -> Path:
    path = Path(os.environ.get("DLBOOK_SITE_DIR", ROOT / "_build" / "html")).resolve()
    if not (path / "index.html").is_file():
        skip_or_fail(f"no built site at {path}: run `make book` first (or set DLBOOK_SITE_DIR)")
    return path


@pytest.fixture(scope="session")
def toc_path() -> Path:
    return Path(os.environ.get("DLBOOK_TOC", ROOT / "_toc.yml")).resolve()


@pytest.fixture(scope="session")
def book_config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))

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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sitelib import ROOT, skip_or_fail  # noqa: E402

sys.path.insert(0, str(ROOT / "tools"))


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

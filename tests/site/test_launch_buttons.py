"""Every notebook page has a Colab launch button and a download button for its own notebook,
both derived from the one repository URL in _config.yml. The Colab button opens the page's
Colab-ready copy (tools/colab_notebooks.py) on the branch `launch_buttons.colab_branch`, which the
Pages workflow fills from the site's colab/ folder; the download button gives the source."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from sitelib import ROOT, notebook_pages, parse


def colab_links(page: Path, colab_url: str) -> list[str]:
    return [l.value for l in parse(page).links if l.attr == "href" and l.value.startswith(colab_url + "/")]


def download_links(page: Path) -> list[str]:
    return [l.value for l in parse(page).links
            if l.attr == "href" and "btn-download-source-button" in l.classes]


def test_repository_url_is_set_once(book_config: dict) -> None:
    url = book_config["repository"]["url"]
    parts = urlsplit(url)
    assert parts.scheme == "https" and parts.netloc == "github.com", url
    assert len(parts.path.strip("/").split("/")) == 2, f"expected https://github.com/OWNER/REPO, got {url}"
    # Other files take the URL from _config.yml; none may carry a copy of it.
    copies = [
        p.relative_to(ROOT).as_posix()
        for p in [*ROOT.glob("*.md"), *ROOT.glob("_ext/*.py"), *ROOT.glob("tools/*.py"),
                  *ROOT.glob(".github/workflows/*.yml")]
        if url.rstrip("/").lower() in p.read_text(encoding="utf-8").lower()
        and p.name not in ("README.md",)
    ]
    assert not copies, f"the repository URL is copied into {copies}; read it from _config.yml"


def test_every_notebook_page_has_launch_and_download_buttons(site_dir: Path, toc_path: Path,
                                                             book_config: dict) -> None:
    repo = book_config["repository"]
    owner_repo = urlsplit(repo["url"]).path.strip("/")
    branch = book_config["launch_buttons"]["colab_branch"]
    assert branch and branch != repo.get("branch", "main"), "the Colab copies live on a branch of their own"
    book_path = (repo.get("path_to_book") or "").strip("/")
    colab = book_config["launch_buttons"]["colab_url"].rstrip("/")
    notebooks = notebook_pages(ROOT, toc_path)
    if not notebooks:
        pytest.skip("no notebook in the table of contents yet")
    problems = []
    for doc in notebooks:
        page = site_dir / (doc + ".html")
        if not page.is_file():
            problems.append(f"{doc}: no page {page.name} in the site")
            continue
        repo_path = "/".join(p for p in (book_path, doc + ".ipynb") if p)
        expected = f"{colab}/github/{owner_repo}/blob/{branch}/{repo_path}"
        found = colab_links(page, colab)
        if found != [expected]:
            problems.append(f"{doc}: Colab links {found}, expected [{expected!r}]")
        # What the workflow publishes on that branch: the site's colab/ folder.
        if not (site_dir / "colab" / (doc + ".ipynb")).is_file():
            problems.append(f"{doc}: no Colab-ready copy colab/{doc}.ipynb in the site for the button to open")
        downloads = download_links(page)
        ipynb = [d for d in downloads if d.endswith(".ipynb")]
        if len(ipynb) != 1:
            problems.append(f"{doc}: .ipynb download buttons {downloads}")
            continue
        target = (page.parent / ipynb[0]).resolve()
        if not target.is_file():
            problems.append(f"{doc}: download {ipynb[0]} -> missing {target}")
        elif target.read_bytes() != (ROOT / (doc + ".ipynb")).read_bytes():
            problems.append(f"{doc}: download {ipynb[0]} differs from {doc}.ipynb in the repository "
                            "(another notebook, or a stale build: run make book)")
    assert not problems, "\n".join(problems)


def test_checker_rejects_a_page_without_buttons(tmp_path: Path) -> None:
    page = tmp_path / "p.html"
    page.write_text('<a href="https://colab.research.google.com/github/o/r/blob/main/other.ipynb">x</a>',
                    encoding="utf-8")
    assert colab_links(page, "https://colab.research.google.com") == [
        "https://colab.research.google.com/github/o/r/blob/main/other.ipynb"]
    assert download_links(page) == []

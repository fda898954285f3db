"""Models carried by installed Python packages in ordered parts, assembled and verified."""

from __future__ import annotations

import hashlib
import os
import random
from pathlib import Path

import pytest

from umi_cli.errors import UmiError
from umi_cli.models import resolve_profile
from umi_cli.models.catalog import load_catalog
from umi_cli.models.store import ModelStore

PARTS = [random.Random(i).randbytes(300_000 + i) for i in range(3)]
WHOLE = b"".join(PARTS)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A folder laid out like site-packages with three part packages whose code must not run."""
    root = tmp_path / "site"
    for i, data in enumerate(PARTS, start=1):
        package = root / f"fakemodel_part{i}"
        (package / "data").mkdir(parents=True)
        (package / "data" / f"part{i:02d}.bin").write_bytes(data)
        marker = tmp_path / f"imported_{i}"
        (package / "__init__.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    return root


def _entry(sha: str = hashlib.sha256(WHOLE).hexdigest(), size: int = len(WHOLE)) -> dict:
    parts = [{"package": f"fakemodel_part{i}", "path": f"data/part{i:02d}.bin"} for i in (1, 2, 3)]
    return {
        "description": "a model in three packages",
        "sources": [{"package": {"parts": parts}}],
        "sha256": sha,
        "size": size,
        "format": "chat",
        "context_length": 2048,
    }


def _pythonpath(site: Path) -> dict[str, str]:
    return {"PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}


def test_pull_assembles_the_parts_in_order_without_importing_them(
    run_umi, user_catalog, umi_home, site, tmp_path
):
    user_catalog({"models": {"split": _entry()}})
    result = run_umi("models", "pull", "split", env=_pythonpath(site))
    assert result.returncode == 0, result.stderr
    stored = umi_home / "cache" / "models" / "split.gguf"
    assert stored.read_bytes() == WHOLE
    assert "assembling split.gguf" in result.stderr and "100%" in result.stderr
    assert f"split: {stored} (sha256 verified)" in result.stdout
    assert not list(tmp_path.glob("imported_*")), "a part package's code was executed"
    # assembled once; `path` finds it verified (no second assembly, no temp files left)
    listed = run_umi("models", "path", "split", env=_pythonpath(site))
    assert listed.stdout.strip() == str(stored)
    assert sorted(p.name for p in stored.parent.iterdir()) == [".verified.json", "split.gguf"]


def test_a_bad_part_is_caught_by_the_checksum_and_nothing_is_kept(
    run_umi, user_catalog, umi_home, site
):
    (site / "fakemodel_part2" / "data" / "part02.bin").write_bytes(b"\0" * len(PARTS[1]))
    user_catalog({"models": {"split": _entry()}})
    result = run_umi("models", "pull", "split", env=_pythonpath(site))
    assert result.returncode == 1
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith(
        "umi: error: cannot get model 'split': package fakemodel_part1 (+2 parts):"
    )
    assert "result has sha256 " in line and "deleted" in line
    assert not (umi_home / "cache" / "models" / "split.gguf").exists()


def test_missing_package_and_wrong_total_size_are_one_line(run_umi, user_catalog, site):
    user_catalog({"models": {"split": _entry(), "short": _entry(size=len(WHOLE) + 1)}})
    missing = run_umi("models", "pull", "split")  # packages not on the path
    assert missing.stderr.strip().splitlines() == [
        "umi: error: cannot get model 'split': package fakemodel_part1 (+2 parts): package "
        "fakemodel_part1 is not installed (pip install fakemodel-part1)"
    ]
    short = run_umi("models", "pull", "short", env=_pythonpath(site))
    assert short.returncode == 1
    assert f"parts add up to {len(WHOLE)} bytes, expected {len(WHOLE) + 1}" in short.stderr


def test_ensure_without_download_still_assembles_packages(site, tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(site))
    user = tmp_path / "models.yaml"
    import yaml

    user.write_text(
        yaml.safe_dump(
            {
                "models": {"split": _entry()},
                "profiles": {
                    "trio": {"roles": {r: "split" for r in ("planner", "caller", "summarizer")}}
                },
            }
        )
    )
    catalog = load_catalog(user=user)
    store = ModelStore(tmp_path / "models")
    roles = resolve_profile("trio", catalog=catalog, store=store)
    paths = {ref.path for _, ref in roles.values()}
    assert paths == {tmp_path / "models" / "split.gguf"}
    assert (tmp_path / "models" / "split.gguf").read_bytes() == WHOLE
    assert store.locate(catalog.model("split")) == tmp_path / "models" / "split.gguf"
    hubbed = catalog.model("alpha-umi-caller-7b")
    with pytest.raises(
        UmiError, match=r"is not present; run `umi models pull alpha-umi-caller-7b`"
    ):
        store.ensure(hubbed, download=False)


@pytest.mark.pocket
def test_real_pocket_packages_assemble_to_the_published_file():
    from support.pocket import pocket_model_path

    path = pocket_model_path()
    if path is None:
        pytest.skip("pocket packages not installed (pip install '.[pocket]')")
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 22):
            digest.update(chunk)
    assert path.stat().st_size == 491_400_064
    assert digest.hexdigest() == "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"

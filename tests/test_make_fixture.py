"""scripts/make_fixture.py rebuilds every committed fixture from its page, byte for byte.

The script writes what the extractor does today; the committed JSONs were checked by reading
the pages. On a copy of a fixture page the two must agree, or the script (or the extractor)
has drifted from the fixtures' shape.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import ROOT, Fixture, fixture_named, page_fixtures

SCRIPT = ROOT / "scripts" / "make_fixture.py"
FIXTURES = page_fixtures()


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_fixture", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_fixture = _load_script()


def _saved_copy(fx: Fixture, tmp_path: Path) -> Path:
    """The fixture page as a person would have saved it: a file outside tests/fixtures."""
    saved = tmp_path / "saved" / fx.html.name
    saved.parent.mkdir()
    shutil.copyfile(fx.html, saved)
    return saved


@pytest.mark.parametrize("fx", FIXTURES, ids=[f.id for f in FIXTURES])
def test_rebuilds_the_committed_fixture(
    fx: Fixture, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = _saved_copy(fx, tmp_path)
    out = tmp_path / "fixtures"
    site = fx.html.parent.name
    code = make_fixture.main([str(saved), "--url", fx.url, "--site", site, "--fixtures", str(out)])
    printed, err = capsys.readouterr()
    assert code == 0, err
    written = out / site / fx.html.with_suffix(".json").name
    committed = fx.html.with_suffix(".json").read_text(encoding="utf-8")
    assert written.read_text(encoding="utf-8") == committed
    assert json.loads(printed) == fx.expected  # printed for review
    assert (out / site / fx.html.name).read_bytes() == fx.html.read_bytes()
    assert "by reading it" in err


def test_refuses_to_overwrite_without_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fx = fixture_named("txyddy", "003_txyddy_shanxi")
    saved = _saved_copy(fx, tmp_path)
    out = tmp_path / "fixtures"
    argv = [str(saved), "--url", fx.url, "--site", "txyddy", "--fixtures", str(out)]
    argv += ["--name", "new"]
    assert make_fixture.main(argv) == 0
    target = out / "txyddy" / "new.json"
    target.write_text("{}\n", encoding="utf-8")  # a reviewer's corrections, say
    capsys.readouterr()
    assert make_fixture.main(argv) == 1
    printed, err = capsys.readouterr()
    assert printed == "" and err.startswith("make_fixture: ") and "--force" in err
    assert target.read_text(encoding="utf-8") == "{}\n"
    assert make_fixture.main([*argv, "--force"]) == 0
    assert json.loads(target.read_text(encoding="utf-8")) == fx.expected


@pytest.mark.parametrize(
    ("site", "url", "message"),
    [
        ("nowhere", "https://gd.spb.gov.cn/a.shtml", "unknown site 'nowhere'"),
        ("gd_spb", "http://www.txyddy.com/a.html", "belongs to site"),
    ],
)
def test_bad_arguments_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], site: str, url: str, message: str
) -> None:
    fx = fixture_named("gd_spb", "004_original")
    argv = [str(fx.html), "--url", url, "--site", site, "--fixtures", str(tmp_path)]
    assert make_fixture.main(argv) == 2
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_a_page_without_article_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "nav.html"
    page.write_text("<html><body><ul><li>首页</li></ul></body></html>", encoding="utf-8")
    out = tmp_path / "fixtures"
    argv = [str(page), "--url", "https://gd.spb.gov.cn/x.shtml", "--site", "gd_spb"]
    assert make_fixture.main([*argv, "--fixtures", str(out)]) == 1
    assert "no article" in capsys.readouterr().err
    assert not out.exists()


def test_runs_as_a_command(tmp_path: Path) -> None:
    fx = fixture_named("e0734", "001_e0734_traditional")
    saved = _saved_copy(fx, tmp_path)
    out = tmp_path / "fixtures"
    argv = [str(saved), "--url", fx.url, "--site", "e0734", "--fixtures", str(out)]
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), *argv],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == fx.expected
    assert (out / "e0734" / fx.html.with_suffix(".json").name).is_file()

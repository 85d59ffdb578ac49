"""`narrascope eval` and `eval compare` on real trained models; the HTML in a real browser."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from narrascope.app.cli import main


@pytest.fixture(scope="module")
def eval_dir(registry_root, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    argv = ["--registry", str(registry_root), "eval", "--model", "production", "--out", str(out)]
    assert main([*argv, "--resamples", "200"]) == 0
    return out


def test_eval_writes_every_format(eval_dir):
    assert {p.name for p in eval_dir.iterdir()} == {
        "report.json",
        "report.md",
        "report.html",
        "predictions.tsv",
    }
    report = json.loads((eval_dir / "report.json").read_text())
    narratives = report["levels"]["narratives"]
    assert set(narratives["groups"]["language"]) == {"en", "ru", "uk", "zh", "es", "de", "fr", "ar"}
    assert {"state_media", "independent_media", "social", "official"} == set(
        narratives["groups"]["source_type"]
    )
    assert (
        "RU" in narratives["groups"]["country"]
        and "uk/RU" in narratives["groups"]["language_country"]
    )
    assert report["counterfactual"]["variants"] > 0
    assert set(report["calibration"]["per_language"]) == set(narratives["groups"]["language"])
    assert len((eval_dir / "predictions.tsv").read_text().splitlines()) == 136


def test_html_report_renders_in_headless_chromium(eval_dir, tmp_path):
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("chromium is not installed (Debian: apt-get install chromium)")
    page = (eval_dir / "report.html").resolve().as_uri()
    flags = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--allow-file-access-from-files",
    ]
    dom = subprocess.run(
        [*flags, "--dump-dom", page], capture_output=True, text=True, timeout=120, check=True
    ).stdout
    report = json.loads((eval_dir / "report.json").read_text())
    headline = report["levels"]["narratives"]["overall"]["samples_f1"]
    figure = f"{headline['value']:.3f} [{headline['low']:.3f}, {headline['high']:.3f}]"
    assert 'data-title="Headline"' in dom and f"<td>{figure}</td>" in dom
    shot = tmp_path / "page.png"
    subprocess.run(
        [*flags, f"--screenshot={shot}", "--window-size=1200,900", page],
        capture_output=True,
        timeout=120,
        check=True,
    )
    from PIL import Image

    pixels = Image.open(shot).convert("L")
    assert pixels.getextrema()[0] < 100  # something dark (text, tables) was drawn


def test_compare_finds_the_degraded_language(degraded_registry, tmp_path, capsys):
    argv = ["--registry", str(degraded_registry), "eval", "compare", "v1", "v2"]
    code = main([*argv, "--out", str(tmp_path), "--resamples", "500"])
    assert code == 1  # a detectable regression exits non-zero
    report = json.loads((tmp_path / "compare.json").read_text())
    languages = report["levels"]["narratives"]["language"]
    assert languages["zh"]["samples_f1"]["verdict"] == "worse"
    assert languages["zh"]["samples_f1"]["delta"]["high"] < 0
    worse = {lang for lang, fig in languages.items() if fig["samples_f1"]["verdict"] == "worse"}
    assert worse == {"zh"}
    assert "worse: narratives language zh" in capsys.readouterr().out
    assert "| language | zh | 17 |" in (tmp_path / "compare.md").read_text()


def test_compare_of_a_model_with_itself_finds_no_difference(registry_root, tmp_path):
    argv = ["--registry", str(registry_root), "eval", "compare", "production", "v1"]
    assert main([*argv, "--out", str(tmp_path), "--resamples", "200"]) == 0
    report = json.loads((tmp_path / "compare.json").read_text())
    overall = report["levels"]["narratives"]["overall"]["samples_f1"]
    assert overall["delta"] == {"value": 0.0, "low": 0.0, "high": 0.0}
    assert overall["verdict"] == "no detectable difference"

"""The grid's run records and the results page rebuilt from them (`compare --summarize`).

tests/fixtures/runs/ holds the records of a small real grid on Fashion-MNIST (protocol "T": random,
entropy and M2-VAAL, seeds 0 and 1, 60 -> 140 labels on a 600-image pool), made by
`python -m m2vaal_tf.compare` with `--records_dir`; tests/fixtures/grid_page.md is a page whose
generated block was rebuilt from them.
"""
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
from conftest import PROJECT_ROOT

from m2vaal_tf.errors import UserError
from m2vaal_tf.reporting import curves, grid_page, records

FIXTURES = os.path.join(PROJECT_ROOT, "tests", "fixtures")
RUNS = os.path.join(FIXTURES, "runs")
PAGE = os.path.join(FIXTURES, "grid_page.md")


def summarize(page, records_dir):
    return subprocess.run([sys.executable, "-m", "m2vaal_tf.compare", "--summarize", f"--records_dir={records_dir}",
                           f"--results_page={page}"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)


def test_summarize_rebuilds_the_page_byte_for_byte_from_the_records(tmp_path):
    page = tmp_path / "RESULTS.md"
    committed = open(PAGE, encoding="utf-8").read()
    begin, end = committed.index(grid_page.BEGIN), committed.index(grid_page.END)
    # Spoil the generated block, keep the prose around it.
    stale = grid_page.BEGIN + "\nstale\n" + grid_page.END
    page.write_text(committed[:begin] + stale + committed[end + len(grid_page.END):])
    done = summarize(page, RUNS)
    assert done.returncode == 0, done.stderr[-2000:]
    assert page.read_text(encoding="utf-8") == committed
    assert "from 6 run records (T: 6)" in done.stdout


def test_the_committed_results_page_agrees_with_the_committed_records():
    page = open(os.path.join(PROJECT_ROOT, "docs", "RESULTS.md"), encoding="utf-8").read()
    block = page[page.index(grid_page.BEGIN):page.index(grid_page.END) + len(grid_page.END)]
    assert block == grid_page.render(records.read_all(os.path.join(PROJECT_ROOT, "docs", "results", "runs"))), \
        "docs/RESULTS.md is stale: run python -m m2vaal_tf.compare --summarize"


def test_the_tables_hold_what_the_records_say():
    by_protocol = records.read_all(RUNS)
    assert list(by_protocol) == ["T"] and len(by_protocol["T"]) == 6
    section = grid_page.protocol_section("T", by_protocol["T"], "T.png")
    runs = {(r.curve.strategy, r.curve.seed): r for r in by_protocol["T"]}
    # The accuracy table: mean ± std over the two seeds, recomputed from results.csv.
    final = [float(open(os.path.join(RUNS, "T", f"T_entropy_seed{seed}", "results.csv")).read().splitlines()[-1]
                   .split(",")[2]) for seed in (0, 1)]
    last_row = next(line for line in section.splitlines() if line.startswith("| 140 |"))
    assert f"{np.mean(final):.4f} ± {np.std(final, ddof=1):.4f}" in last_row
    # The paired difference to random, recomputed by hand.
    auc = {key: curves.normalised_auc(r.curve.labeled, r.curve.test_accuracy) for key, r in runs.items()}
    differences = [auc[("entropy", s)] - auc[("random", s)] for s in (0, 1)]
    half_width = 12.706 * np.std(differences, ddof=1) / np.sqrt(2)
    assert f"| entropy | 0,1 | {np.mean([auc[('entropy', s)] for s in (0, 1)]):.4f} ± " in section
    assert f"{np.mean(differences):+.4f} ± {half_width:.4f}" in section
    # M2-VAAL's rounds: D's held-out AUC and the reference classifier, mean over seeds.
    d_auc = np.mean([runs[("m2vaal", s)].round_metrics[0]["discriminator_auc"] for s in (0, 1)])
    assert f"| 60 | {d_auc:.3f} |" in section


def test_paired_interval():
    mean, half_width = grid_page.paired_interval([0.01, 0.03, 0.02])
    assert mean == pytest.approx(0.02) and half_width == pytest.approx(4.303 * 0.01 / np.sqrt(3))
    assert grid_page.paired_interval([0.01]) is None


def test_keep_copies_the_record_files_only(tmp_path):
    run_dir = tmp_path / "logs" / "T_random_seed0"
    shutil.copytree(os.path.join(RUNS, "T", "T_random_seed0"), run_dir)
    (run_dir / "events.out.tfevents.1").write_bytes(b"tensorboard")
    kept = records.keep(str(run_dir), str(tmp_path / "records"), "T", "T_random_seed0")
    assert sorted(os.listdir(kept)) == sorted(records.RECORD_FILES)
    assert json.load(open(os.path.join(kept, "pool.json"))) == json.load(open(run_dir / "pool.json"))


def test_a_page_without_the_generated_block_is_a_one_line_error(tmp_path):
    page = tmp_path / "RESULTS.md"
    page.write_text("# Results\n\nno markers here\n")
    with pytest.raises(UserError, match="needs exactly one generated block"):
        grid_page.rewrite(str(page), RUNS)
    assert page.read_text() == "# Results\n\nno markers here\n"
    done = summarize(page, RUNS)
    assert done.returncode == 2 and "needs exactly one generated block" in done.stderr.strip().splitlines()[-1]
    missing = summarize(page, tmp_path / "nowhere")
    assert missing.returncode == 2 and "--records_dir=" in missing.stderr.strip().splitlines()[-1]

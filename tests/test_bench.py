"""The benchmark code runs on a tiny size and writes every key (no timing is asserted)."""

import json
import math

from experiments.machinery import bench


def test_bench_runs_tiny_and_writes_every_key(tmp_path):
    output = tmp_path / "bench.json"
    bench.main(["--size", "tiny", "--output", str(output)])
    report = json.loads(output.read_text())
    assert set(bench.TARGETS) <= set(bench.REPORTED_KEYS)
    for key in bench.REPORTED_KEYS:
        assert isinstance(report[key], float) and math.isfinite(report[key]) and report[key] > 0, key
    for key in bench.TARGETS:
        assert isinstance(report["met"][key], bool)
    assert report["details"]["check_x6"]["backend"] in ("compiled", "numpy")
    for key in ("machine", "python", "numpy", "scipy", "commit", "dirty"):
        assert key in report
    for measurement in report["measurements"].values():
        assert measurement["min"] <= measurement["median"] <= measurement["max"]
    assert not (tmp_path / "bench.json.tmp").exists()

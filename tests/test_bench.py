"""The benchmark code runs on a tiny size and writes every key (no timing is asserted)."""

import json
import math

from experiments.machinery import bench, peers


def test_bench_runs_tiny_and_writes_every_key(tmp_path):
    output = tmp_path / "bench.json"
    bench.main(["--size", "tiny", "--output", str(output)])
    report = json.loads(output.read_text())
    assert set(bench.TARGETS) <= set(bench.REPORTED_KEYS)
    jax = peers.jax_available()
    for key in bench.REPORTED_KEYS:
        if key in bench.PEER_KEYS and not jax:  # the peer is optional: absent, and the report says why
            assert key not in report and key not in report["met"] and "not installed" in report["details"]["peer"]
            continue
        assert isinstance(report[key], float) and math.isfinite(report[key]) and report[key] > 0, key
        if key in bench.TARGETS:
            assert isinstance(report["met"][key], bool)
    if jax:  # the peer and the compiled backend took the same iterations on x^4
        assert report["details"]["peer"]["b1e4_x4"]["starts_with_other_iterations"] == 0
    assert report["details"]["check_x6"]["backend"] in ("compiled", "numpy")
    for key in ("machine", "python", "numpy", "scipy", "commit", "dirty"):
        assert key in report
    for measurement in report["measurements"].values():
        assert measurement["min"] <= measurement["median"] <= measurement["max"]
    assert not (tmp_path / "bench.json.tmp").exists()

"""The benchmark runs and reports what the README says (numbers are not asserted: timings are
for the benchmark to print, not for tests to judge)."""

import json
import subprocess
import sys

from dlcore.catalog import all_concepts


def test_bench_json_has_ratios_and_every_page(tmp_path):
    out = subprocess.run([sys.executable, "-m", "dlcore.bench", "--json", "--repeats", "1"],
                         capture_output=True, text=True, check=True, timeout=600)
    result = json.loads(out.stdout)
    assert result["overhead"]["record_every"] == 10 and result["overhead"]["ratio"] > 0
    assert set(result["page_default_seconds"]) == {c.title for c in all_concepts()}
    assert all(seconds > 0 for seconds in result["page_default_seconds"].values())

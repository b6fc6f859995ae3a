"""The CLI reports ordinary mistakes as one line on stderr with exit code 2, never a traceback, and its help
imports only the command asked for."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

from conftest import REPO, run

BAD_INPUTS = [
    # (arguments, words the error line must name)
    (["generate", "--start", "2025-13-01"], ["--start", "2025-13-01"]),
    (["generate", "--end", "yesterday"], ["--end", "yesterday"]),
    (["generate", "--start", "2025-06-01", "--end", "2025-01-01"], ["--end", "--start"]),
    (["generate", "--customers", "-5"], ["--customers", "-5"]),
    (["generate", "--customers", "0"], ["--customers", "0"]),
    (["generate", "--customers", "many"], ["--customers", "many"]),
    (["generate", "--seed", "-1"], ["--seed", "-1"]),
    (["generate", "--append-days", "0"], ["--append-days", "0"]),
    (["generate", "--late-rate", "1.5"], ["--late-rate", "1.5"]),
    (["generate", "--fault", "bogus"], ["--fault", "bogus"]),
    (["report", "--months", "-3"], ["--months", "-3"]),
    (["report", "--months", "0"], ["--months", "0"]),
    (["report", "--warehouse", "missing.duckdb"], ["missing.duckdb"]),
    (["identity-eval", "--db", "missing.duckdb"], ["--db", "missing.duckdb"]),
    (["identity-eval", "--db", "README.md", "--truth", "missing.parquet"], ["--truth", "missing.parquet"]),
    (["no-such-command"], ["no-such-command"]),
    ([], ["command"]),
]


@pytest.mark.parametrize("args, names", BAD_INPUTS, ids=[" ".join(a) or "no-command" for a, _ in BAD_INPUTS])
def test_bad_input_is_one_line_and_exit_2(args, names, tmp_path):
    result = run([sys.executable, "-m", "scripts", *args], timeout=60)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "error:" in lines[0]
    for name in names:
        assert name in lines[0], lines[0]
    assert result.stdout == ""


IMPORTED = "import sys\nfrom scripts.__main__ import main\ntry:\n    main({argv!r})\nexcept SystemExit:\n    pass\n" \
           "print(sorted(m for m in sys.modules if m.startswith('scripts.')))"


def test_top_level_help_imports_no_command():
    result = run([sys.executable, "-c", IMPORTED.format(argv=["--help"])], timeout=60)
    assert result.returncode == 0, result.stderr
    assert "generate" in result.stdout and "identity-eval" in result.stdout  # the command list is in the help
    assert result.stdout.strip().splitlines()[-1] == "['scripts.__main__']"


def test_command_help_imports_only_that_command():
    result = run([sys.executable, "-c", IMPORTED.format(argv=["report", "--help"])], timeout=60)
    assert result.returncode == 0, result.stderr
    assert "--months" in result.stdout and "(default: 12)" in result.stdout
    assert result.stdout.strip().splitlines()[-1] == "['scripts.__main__', 'scripts.arguments', 'scripts.report']"


def test_source_freshness_reads_a_timestamp():
    """dbt source freshness needs a timestamp: load_date (a DATE partition column) is cast."""
    files = sorted((REPO / "models" / "staging").glob("*/_*__sources.yml"))
    assert files
    for path in files:
        for source in yaml.safe_load(Path(path).read_text())["sources"]:
            assert source["config"]["loaded_at_field"] == "cast(load_date as timestamp)", path

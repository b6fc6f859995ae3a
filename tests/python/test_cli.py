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
    (["identity-eval", "--db", "README.md", "--truth", "README.md"], ["--db", "README.md", "not a valid DuckDB"]),
    (["no-such-command"], ["no-such-command"]),
    ([], ["command"]),
    # {tmp} is an empty folder of the test, {generated} one holding a _generator.json (horizon 10 days)
    (["generate", "--out", "README.md"], ["--out", "README.md", "not a folder"]),
    (["generate", "--out", "{tmp}", "--append-days", "1"], ["--append-days", "_generator.json"]),
    (["generate", "--out", "{generated}", "--append-days", "11"], ["--append-days", "between 1 and 10", "11"]),
    (["generate", "--out", "{generated}"], ["--out", "--force", "--append-days"]),
    (["generate", "--customers", "1.5"], ["--customers", "1.5", ">= 1"]),
    (["bench", "--customers", "-5"], ["--customers", "-5", ">= 1"]),
    (["bench", "--start", "2025-13-01"], ["--start", "2025-13-01", "YYYY-MM-DD"]),
    (["bench", "--end", "2020-01-01"], ["--end", "--start"]),
    (["bench", "--incremental-days", "-1"], ["--incremental-days", "-1", ">= 0"]),
    (["bench", "--measure-days", "0"], ["--measure-days", "0", ">= 1"]),
    (["bench", "--repeats", "0"], ["--repeats", "0", ">= 1"]),
    (["bench", "--label", "a/b"], ["--label", "a/b"]),
    (["bench", "--out", "README.md"], ["--out", "README.md"]),
    (["bench", "--generator-arg", "decay"], ["--generator-arg", "decay"]),
    (["bench", "--generator-arg=--decay-rate=5"], ["--generator-arg", "--decay-rate", "between 0 and 1"]),
    (["bench", "--generator-arg=--no-such-option=1"], ["--generator-arg", "--no-such-option"]),
    (["audit", "--config", "missing.yml"], ["--config", "missing.yml"]),
    (["audit", "--run-date", "2025-02-30"], ["--run-date", "2025-02-30", "YYYY-MM-DD"]),
    (["preflight", "--raw-root", "missing_dir"], ["--raw-root", "missing_dir"]),
    (["preflight", "--raw-root", "README.md"], ["--raw-root", "README.md"]),
    (["report", "--warehouse", "README.md", "--out", "scripts"], ["--out", "scripts", "folder"]),
    (["report", "--months", "many"], ["--months", "many", ">= 1"]),
]


@pytest.mark.parametrize("args, names", BAD_INPUTS, ids=[" ".join(a) or "no-command" for a, _ in BAD_INPUTS])
def test_bad_input_is_one_line_and_exit_2(args, names, tmp_path):
    generated = tmp_path / "generated"
    generated.mkdir()
    (generated / "_generator.json").write_text('{"end": "2025-12-31", "sim_end": "2026-01-10"}')
    args = [a.format(tmp=tmp_path, generated=generated) for a in args]
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


@pytest.mark.parametrize("command", ["generate", "bench", "report", "identity-eval"])
def test_command_help_loads_no_data_library(command):
    """--help stays well under a second: numpy, pandas, pyarrow and duckdb (about 1 s together) are
    imported by the work, not by the help."""
    code = ("import sys\nfrom scripts.__main__ import main\ntry:\n    main([{!r}, '--help'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('numpy', 'pandas', 'pyarrow', 'duckdb', 'tqdm') if m in sys.modules))")
    result = run([sys.executable, "-c", code.format(command)], timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_source_freshness_reads_a_timestamp():
    """dbt source freshness needs a timestamp: load_date (a DATE partition column) is cast."""
    files = sorted((REPO / "models" / "staging").glob("*/_*__sources.yml"))
    assert files
    for path in files:
        for source in yaml.safe_load(Path(path).read_text())["sources"]:
            assert source["config"]["loaded_at_field"] == "cast(load_date as timestamp)", path


def _options():
    """(command, option action) for every option of every command."""
    from scripts.__main__ import build_parser

    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    return [(name, action) for name, sub in commands.items() for action in sub._actions if action.dest != "help"]


@pytest.mark.parametrize("command, action", _options(), ids=lambda x: x if isinstance(x, str) else (x.option_strings or [x.dest])[0])
def test_every_option_has_help_and_shows_its_default(command, action):
    """A person reads what an option does and what happens without it: options that take a value say
    their default in the help (flags are off unless given; positional and required arguments have none)."""
    assert action.help and len(action.help) > 10, f"{command} {action.option_strings or action.dest}: no help text"
    if action.option_strings and action.nargs != 0 and not action.required:
        assert "default" in action.help, f"{command} {action.option_strings}: no default in {action.help!r}"


def test_generate_progress_only_when_asked(tmp_path):
    """Progress bars (table, rows, ETA) go to stderr with --progress; captured output (not a terminal)
    gets only the one-line step summaries."""
    args = [sys.executable, "-m", "scripts", "generate", "--customers", "300", "--start", "2025-01-01",
            "--end", "2025-03-31"]
    quiet = run([*args, "--out", tmp_path / "quiet"], timeout=300)
    shown = run([*args, "--out", tmp_path / "shown", "--progress"], timeout=300)
    assert quiet.returncode == 0 and shown.returncode == 0, quiet.stderr[-2000:] + shown.stderr[-2000:]
    assert "\r" not in quiet.stderr and "rows/s" not in quiet.stderr and "%|" not in quiet.stderr
    assert "[generate 16/16] app/app_events: 100%|" in shown.stderr
    assert "rows/s" in shown.stderr
    assert quiet.stdout == shown.stdout == ""


def test_bench_counts_finished_dbt_nodes():
    """bench advances its bar on dbt's result lines (OK, PASS, ERROR, SKIP...), not on START lines."""
    from scripts.bench import DBT_NODE_DONE

    done = ["12:00:01  3 of 291 OK created sql table model staging.base_web__accounts ... [OK in 0.31s]",
            "12:00:01  4 of 291 PASS unique_fct_orders_order_id ... [PASS in 0.1s]",
            "12:00:01  5 of 291 ERROR creating sql table model quality.fct_quarantined_rows ... [ERROR in 0.3s]",
            "12:00:01  6 of 291 SKIP relation core.dim_customers ... [SKIP]"]
    for line in done:
        assert DBT_NODE_DONE.search(line), line
    assert [DBT_NODE_DONE.search(line).group(1, 2) for line in done][0] == ("3", "291")
    assert not DBT_NODE_DONE.search("12:00:01  7 of 291 START sql table model core.fct_orders ... [RUN]")

"""The console entry point, run as a user runs it (a subprocess through ``main``)."""

import subprocess
import sys

import pytest

COMMANDS = ["generate", "train", "score", "model", "rules", "queue", "simulate", "text-model"]


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", "from moderation.cli import main; main()", *args],
        capture_output=True, text=True, timeout=120,
    )


def test_help_lists_every_command_group():
    result = _run("--help")
    assert result.returncode == 0, result.stderr
    for command in COMMANDS:
        assert command in result.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command):
    result = _run(command, "--help")
    assert result.returncode == 0, result.stderr
    assert "Usage:" in result.stdout


def test_user_errors_print_one_clear_line_and_exit_non_zero(tmp_path):
    result = _run("score", str(tmp_path / "missing.parquet"), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "missing.parquet: no such file" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_option_is_a_usage_error_without_traceback(tmp_path):
    result = _run("generate", "--out", str(tmp_path), "--listings-per-day", "0")
    assert result.returncode == 2
    assert "--listings-per-day" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(("args", "named"), [
    (["--threshold-folds", "1"], "--threshold-folds must be 0"),
    (["--block-target", "1.5"], "--block-target"),
    (["--days", "3", "--drift-day", "5"], "--drift-day must be at most --days"),
])
def test_simulate_refuses_bad_settings_before_running(tmp_path, args, named):
    result = _run("simulate", "--out", str(tmp_path / "sim"), *args)
    assert result.returncode == 2
    assert named in result.stderr.replace("\n", " ") and "Traceback" not in result.stderr
    assert not (tmp_path / "sim").exists()

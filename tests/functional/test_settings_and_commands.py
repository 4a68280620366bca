"""Configuration from the environment, and the deadline calculator on the command line."""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]


def manage(*args, **env):
    environment = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY")}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


def test_without_debug_the_app_refuses_to_start_on_a_missing_secret_key():
    result = manage("check")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_settings_pass_the_deployment_checklist():
    key = "k3y-" + "x9Q2mZ7wLp4vR8tN1bY6cH3jF5gD0sA" * 2
    result = manage("check", "--deploy", "--fail-level", "WARNING", SECRET_KEY=key, ALLOWED_HOSTS="example.org")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def deadline(*args) -> str:
    out = StringIO()
    call_command("deadline", *args, stdout=out)
    return out.getvalue().strip()


def test_two_working_days_from_23_december_2026_is_29_december():
    assert deadline("--from", "2026-12-23T10:00", "--working-days", "2") == "2026-12-29T17:00:00+00:00"


def test_scotland_keeps_st_andrews_day_and_england_does_not():
    start = ("--from", "2026-11-27T10:00", "--working-days", "1")
    assert deadline(*start) == "2026-11-30T17:00:00+00:00"
    assert deadline(*start, "--nation", "scotland") == "2026-12-01T17:00:00+00:00"


def test_calendar_hours_across_the_spring_clock_change():
    assert deadline("--from", "2026-03-28T12:00", "--calendar-hours", "24") == "2026-03-29T13:00:00+01:00"


def test_same_working_day_after_hours_is_the_next_working_days_close():
    assert deadline("--from", "2026-11-27T18:30", "--same-working-day") == "2026-11-30T17:00:00+00:00"


@pytest.mark.django_db
def test_a_preset_stage_works_on_an_empty_database():
    # Five-stage, stage 2: 5 working days; New Year's Day and a weekend fall inside.
    assert deadline("--from", "2026-12-23T10:00", "--policy", "five-stage", "--stage", "2") == (
        "2027-01-04T17:00:00+00:00"
    )


@pytest.mark.django_db
def test_cumberland_child_protection_at_the_partnership_stage_is_24_hours():
    result = deadline(
        "--from", "2026-12-23T10:00", "--policy", "cumberland", "--stage", "5", "--urgency", "child-protection"
    )
    assert result == "2026-12-24T10:00:00+00:00"


@pytest.mark.django_db
def test_a_stage_prints_its_timed_step_and_st_helens_gives_childrens_social_care_one_working_day():
    start = ("--from", "2026-11-03T10:00")
    assert deadline(*start, "--policy", "five-stage", "--stage", "2", "--step", "discussion") == (
        "2026-11-10T17:00:00+00:00"
    )
    assert deadline(*start, "--policy", "st-helens", "--stage", "2") == "2026-11-10T17:00:00+00:00"
    assert deadline(*start, "--policy", "st-helens", "--stage", "2", "--other-agency", "childrens_social_care") == (
        "2026-11-04T17:00:00+00:00"
    )


@pytest.mark.django_db
def test_a_partnerships_own_closure_day_counts(cast):
    from datetime import date

    cast.partnership.closure_days.create(date=date(2026, 12, 24), reason="Office closed")
    assert deadline("--from", "2026-12-23T10:00", "--partnership", "five-stage", "--stage", "1") == (
        "2026-12-30T17:00:00+00:00"
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "args, message",
    [
        (["--from", "2026-12-23T10:00", "--policy", "nowhere", "--stage", "1"], "Unknown policy preset"),
        (["--from", "2026-12-23T10:00", "--policy", "five-stage", "--stage", "9"], "out of range"),
        (["--from", "23rd of December", "--working-days", "2"], "is not a date and time"),
        (["--from", "2026-12-23T10:00"], "give a timescale"),
        (["--from", "2026-12-23T10:00", "--policy", "five-stage"], "--stage N is needed"),
        (["--from", "2026-12-23T10:00", "--partnership", "atlantis", "--stage", "1"], "no partnership"),
        (["--from", "2026-12-23T10:00", "--working-days", "two"], "invalid int value"),
        (["--from", "2026-12-23T10:00", "--working-days", "-1"], "must be 0 or more"),
        (
            ["--from", "2026-12-23T10:00", "--policy", "five-stage", "--stage", "2", "--step", "decision"],
            "times one step, met when a discussion is held and recorded: --step discussion",
        ),
    ],
)
def test_bad_input_is_one_line_on_stderr_and_exit_status_2(args, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        call_command("deadline", *args)
    assert exit_info.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], captured.err


def test_the_real_command_exits_2_on_an_unknown_preset():
    result = manage("deadline", "--from", "2026-12-23T10:00", "--policy", "nowhere", "--stage", "1", DEBUG="1")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "error: Unknown policy preset 'nowhere'; valid presets are: cumberland, plymouth, five-stage, bromley, "
        "st-helens."
    ]


def _readme_useful_commands() -> list[tuple[str, str]]:
    """(command, the output printed under it or '') from the README's "Useful commands" block."""
    text = (ROOT / "README.md").read_text()
    block = text.split("## Useful commands", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    found: list[tuple[str, str]] = []
    for line in block.splitlines():
        if line.startswith("# ") and found:
            found[-1] = (found[-1][0], line[2:].strip())
        elif line.strip():
            found.append((line.split("  #")[0].strip(), ""))
    return found


def test_the_readmes_useful_commands_work_as_printed():
    """Run as printed, in a shell with neither DEBUG nor SECRET_KEY set; each printed result is what
    it prints. (The loaders and --partnership write to or need the demo database: shape only.)"""
    commands = _readme_useful_commands()
    assert len(commands) == 5
    environment = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY")}
    for command, printed in commands:
        assert command.startswith("DEBUG=1 .venv/bin/python manage.py "), command
        if "load_" in command or "--partnership" in command:
            continue
        result = subprocess.run(
            ["bash", "-c", command], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, command + result.stderr
        if printed:
            assert result.stdout.strip() == printed, command


def test_the_readme_lists_site_url_and_make_run_sets_it_to_the_address_it_serves():
    readme = (ROOT / "README.md").read_text()
    assert "| `SITE_URL` |" in readme
    dry_run = subprocess.run(
        ["make", "-n", "run", "PORT=8123"], cwd=ROOT, capture_output=True, text=True, timeout=60
    ).stdout
    serve = [line for line in dry_run.splitlines() if "runserver" in line]
    assert serve and "SITE_URL=http://127.0.0.1:8123" in serve[0] and "127.0.0.1:8123" in serve[0]
    # The first run says what it is doing while it migrates and loads the demo.
    assert "migrate --no-input -v1" in dry_run and "Preparing the database" in dry_run

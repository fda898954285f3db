"""Turning the run log off: --no-log, UMI_NO_LOG, `log: false` in settings.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest

from umi_cli.errors import ConfigError
from umi_cli.runlog.settings import log_file, log_settings, read_log_setting, settings_file


def write(home: Path, text: str) -> Path:
    path = home / "config" / "settings.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_logging_is_on_by_default_under_the_data_dir(umi_home: Path) -> None:
    got = log_settings(environ={})
    assert (got.enabled, got.path, got.off_because) == (True, umi_home / "data" / "logs.db", "")
    assert log_file() == got.path and settings_file() == umi_home / "config" / "settings.yaml"


@pytest.mark.parametrize(
    ("value", "enabled"),
    [("1", False), ("yes", False), ("true", False), ("0", True), ("false", True), ("", True)],
)
def test_the_environment_variable(umi_home: Path, value: str, enabled: bool) -> None:
    got = log_settings(environ={"UMI_NO_LOG": value})
    assert got.enabled is enabled
    if not enabled:
        assert got.off_because == f"UMI_NO_LOG={value}"


def test_the_flag_wins(umi_home: Path) -> None:
    write(umi_home, "log: true\n")
    assert log_settings(True, environ={}).off_because == "--no-log"


def test_the_settings_file(umi_home: Path) -> None:
    path = write(umi_home, "# umi settings\nother_feature: 3\nlog: false\n")
    got = log_settings(environ={})
    assert not got.enabled and got.off_because == f"log: false in {path}"
    write(umi_home, "log: true\n")
    assert log_settings(environ={}).enabled
    write(umi_home, "")  # empty: defaults
    assert log_settings(environ={}).enabled
    write(umi_home, "other_feature: 3\n")
    assert log_settings(environ={}).enabled


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("# x\nlog: maybe\n", r"settings\.yaml:2: log: must be true or false, got 'maybe'"),
        ("log: [1\n", r"settings\.yaml:2: .*; write `log: false` or `log: true`"),
        ("- log\n", r"settings\.yaml: the settings must be a mapping of keys, like `log: false`"),
        ("a: &x 1\nlog: *x\n", r"settings\.yaml:1: anchors"),
    ],
)
def test_a_bad_file_is_one_config_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "settings.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message) as caught:
        read_log_setting(path)
    assert "\n" not in str(caught.value)


def test_an_unreadable_file_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "settings.yaml").mkdir()
    with pytest.raises(ConfigError, match=r"settings\.yaml: cannot read the settings file"):
        read_log_setting(tmp_path / "settings.yaml")

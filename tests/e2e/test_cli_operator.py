"""What an operator meets first: setting a password without a terminal, starting the
web app on a busy port or with a port out of range, and the start line saying which
address is which."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from accompany.config.settings import EXAMPLE_PEOPLE

from .test_cli import cli, db_dump, ok, refused

pytestmark = pytest.mark.zh


def test_set_password_without_a_terminal_points_to_password_stdin(cli_env: dict[str, str]) -> None:
    ok("people", "load", str(EXAMPLE_PEOPLE))
    before = db_dump(cli_env)
    # a piped password (CliRunner's standard input is no terminal)
    from accompany.cli.main import app

    from .test_cli import runner

    result = runner.invoke(app, ["people", "set-password", "zhaoy"], input="secret-pw-1\nsecret-pw-1\n")
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line]
    assert len(lines) == 1 and lines[0].startswith("错误：") and "--password-stdin" in lines[0]
    assert "终端" in lines[0]
    assert db_dump(cli_env) == before


def test_set_password_in_a_real_process_without_a_terminal(cli_env: dict[str, str]) -> None:
    ok("people", "load", str(EXAMPLE_PEOPLE))
    done = subprocess.run(
        [sys.executable, "-m", "accompany", "people", "set-password", "zhaoy"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "GetPassWarning" not in done.stderr and "echo" not in done.stderr
    assert done.stderr.strip().count("\n") == 0 and "--password-stdin" in done.stderr


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--port", "99999"], "应不大于 65535"),
        (["--port", "abc"], "应为整数"),
        (["--workers", "0"], "应不小于 1"),
    ],
)
def test_an_out_of_range_port_is_told_in_chinese(args: list[str], reason: str) -> None:
    line = refused(2, "web", *args)
    assert reason in line and "Input should" not in line


def test_a_busy_port_is_one_line_before_any_announcement(cli_env: dict[str, str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, out, err = cli("web", "--port", str(port))
    assert code == 69, (out, err)
    assert out == ""
    lines = [line for line in err.splitlines() if line]
    assert len(lines) == 1 and f"端口 {port} 已被占用" in lines[0]


def test_the_web_demo_on_a_busy_port_says_so_before_running_its_lifecycle(cli_env: dict[str, str]) -> None:
    """`demo --web` ran the whole lifecycle (half a minute with Prefect) and only then
    failed to serve, in uvicorn's English: the port is checked first, as `web` does."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, out, err = cli("demo", "--web", "--no-prefect", "--port", str(port))
    assert code == 69, (out, err)
    assert out == ""
    lines = [line for line in err.splitlines() if line]
    assert len(lines) == 1 and f"端口 {port} 已被占用" in lines[0]


def test_the_start_line_names_each_address_and_warns_of_dead_links(
    cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from accompany.cli import web

    monkeypatch.delenv("ACCOMPANY_BASE_URL", raising=False)
    monkeypatch.setattr("uvicorn.run", lambda *args, **kwargs: None)
    out = ok("web", "--port", "8104")
    assert "在 http://127.0.0.1:8104 监听" in out
    assert "链接以 http://127.0.0.1:8000 开头（ACCOMPANY_BASE_URL）" in out
    assert "未设置 ACCOMPANY_BASE_URL" in out  # the warning: those links are dead

    monkeypatch.setenv("ACCOMPANY_BASE_URL", "https://accompany.example.org")
    assert "未设置" not in ok("web", "--port", "8104")  # configured: a proxy's address
    monkeypatch.delenv("ACCOMPANY_BASE_URL")
    assert "未设置" not in ok("web", "--port", "8000")  # the default matches

    assert web.reaches("http://127.0.0.1:8000", "0.0.0.0", 8000)
    assert web.reaches("http://localhost:8000", "127.0.0.1", 8000)
    assert not web.reaches("http://127.0.0.1:8000", "127.0.0.1", 8104)
    assert web.reaches("https://a.example.org", "a.example.org", 443)


def test_readme_names_the_exit_code_of_a_busy_port() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    assert "port" in next(line for line in readme.splitlines() if line.startswith("| 69 |"))

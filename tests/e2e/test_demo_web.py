"""The README's second command, as a newcomer types it: `accompany demo --web` serves
the web app on the demo's data with a sign-in per role, and says so in Chinese."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from ..web_support import csrf_of

pytestmark = [pytest.mark.slow, pytest.mark.zh]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_demo_serves_the_web_app_with_a_sign_in_per_role(tmp_path: Path) -> None:
    port = _free_port()
    exe = shutil.which("accompany", path=str(Path(sys.executable).parent))
    assert exe is not None
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCOMPANY_")}
    env |= {"HOME": str(tmp_path), "COLUMNS": "120"}
    log = tmp_path / "demo.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [exe, "demo", "--web", "--no-prefect", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/signin", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        else:
            pytest.fail(log.read_text(encoding="utf-8"))
        printed = log.read_text(encoding="utf-8")
        assert f"打开 http://127.0.0.1:{port}/ 并登录（所有账号的密码都是 accompany-demo）" in printed
        assert "又建了 8 个项目" in printed and "按 Ctrl-C 停止" in printed
        assert "sign in" not in printed and "built a portfolio" not in printed
        for account in ("zhangl", "wangrb", "zhaoy", "zhoux"):
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as c:
                signed = c.post(
                    "/signin",
                    data={
                        "account": account,
                        "password": "accompany-demo",
                        "csrf": csrf_of(c.get("/signin").text),
                        "next": "/",
                    },
                )
                assert signed.status_code == 303, account
                landing = c.get("/")
                assert landing.status_code == 200 and "太阳宫" in landing.text, account
        # the demo's data lives in a throwaway folder, never the user's home
        assert not (tmp_path / ".local" / "share" / "accompany").exists()
    finally:
        os.killpg(server.pid, signal.SIGINT)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()

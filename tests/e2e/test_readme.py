"""The README's walkthrough ("Using it") runs as written, in order, on a fresh home:
every command succeeds, in the default language (Chinese)."""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accompany.cli.main import app

ROOT = Path(__file__).resolve().parents[2]


def walkthrough() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Using it", 1)[1]
    block = section.split("```bash\n", 1)[1].split("\n```", 1)[0]
    commands, current = [], ""
    for raw in block.splitlines():
        line = re.sub(r"\s+#.*$", "", raw).rstrip()
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        current += line
        if current.strip():
            commands.append(current.strip())
        current = ""
    return commands


@pytest.mark.zh
def test_the_readme_walkthrough_runs_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    commands = walkthrough()
    assert commands[0].startswith("export ACCOMPANY_HOME=") and len(commands) > 20
    home = tmp_path / "tryout"
    for variable in [v for v in os.environ if v.startswith("ACCOMPANY_")]:
        monkeypatch.delenv(variable)
    monkeypatch.setenv("ACCOMPANY_HOME", str(home))
    monkeypatch.chdir(ROOT)
    runner = CliRunner()
    outputs = {}
    for command in commands[1:]:
        words = shlex.split(command.replace('"$ACCOMPANY_HOME"', str(home)))
        assert words[0] == "accompany", command
        result = runner.invoke(app, words[1:])
        assert result.exit_code == 0, f"{command}\n{result.stdout}\n{result.stderr}"
        outputs[command] = result.stdout
    shown = next(out for cmd, out in outputs.items() if cmd.startswith("accompany project show 5"))
    # names, not ids, in the reader's language
    assert "需求调研" in shown and "赵阳" in shown and "问题地图缺少停车点位" in shown
    assert "needs-survey" not in shown and "zhaoy" not in shown
    assert (home / "问题地图.pdf").is_file()  # attachment get
    assert list(home.glob("accompany-2026Q2-*.xlsx"))
    assert not (ROOT / "tryout").exists()

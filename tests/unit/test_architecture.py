"""The architecture's rules, checked on the source: a pure domain core."""

from __future__ import annotations

import ast
from pathlib import Path

import accompany
import accompany.flows as flows
import accompany.models as domain
import accompany.notifications as notifications

DOMAIN = Path(domain.__file__).resolve().parent
SHELL = Path(accompany.__file__).resolve().parent
FORBIDDEN_IMPORTS = ("sqlalchemy", "prefect", "apprise", "alembic", "typer", "rich")
CLOCK_READS = {("datetime", "now"), ("datetime", "utcnow"), ("date", "today"), ("time", "time")}


def _modules() -> list[Path]:
    return sorted(DOMAIN.glob("*.py"))


def test_domain_imports_no_adapters() -> None:
    offenders = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in FORBIDDEN_IMPORTS]
    assert offenders == []


def test_domain_never_reads_the_clock() -> None:
    offenders = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                owner = node.func.value
                owner_name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", None)
                if (owner_name, node.func.attr) in CLOCK_READS:
                    offenders.append(f"{path.name}:{node.lineno}")
    assert offenders == []


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_only_the_notification_adapter_imports_apprise() -> None:
    # the installed accompany package and its mapped folders, wherever they live
    packages = [SHELL, DOMAIN, *(Path(m.__file__).resolve().parent for m in (flows, notifications))]
    importers = sorted(
        f"{package.name}/{path.relative_to(package)}"
        for package in packages
        for path in package.rglob("*.py")
        if "apprise" in _imports(path)
    )
    assert importers == ["notifications/apprise_notifier.py"]


def test_services_do_not_import_prefect_or_the_cli() -> None:
    services = SHELL / "services"
    adapters = {"prefect", "typer", "rich", "apprise"}
    offenders = [p.name for p in services.glob("*.py") if _imports(p) & adapters]
    assert offenders == []


def test_the_cli_has_a_module_per_command_group() -> None:
    """accompany/cli/main.py only assembles the app; each command group lives in a
    module of its own (as Prefect's prefect/cli/ does)."""
    from typer.main import get_command

    from accompany.cli.main import app

    main = SHELL / "cli" / "main.py"
    assert len(main.read_text(encoding="utf-8").splitlines()) < 300
    groups = get_command(app).commands  # type: ignore[attr-defined]
    for name in ("people", "template", "project", "stage", "calendar", "report", "audit", "notifications"):
        callback = groups[name].commands[next(iter(groups[name].commands))].callback
        module = callback.__module__
        assert module.startswith("accompany.cli.") and module != "accompany.cli.main", (name, module)

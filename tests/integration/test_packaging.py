"""A normal (non-editable) install is whole and nothing in the checkout shadows it.

The application shell lives in src/accompany and the card's top-level folders are
mapped into the package, so a Python started at the checkout root — where an
operator runs `prefect deploy --all` or starts a worker — imports the installed
package with every sub-package, and `prefect.yaml`'s entrypoints load there."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _packages_in_the_checkout() -> tuple[str, ...]:
    """Every package of the checkout by its installed name: each folder holding an
    __init__.py under the roots pyproject maps into ``accompany``. Found, not listed
    by hand: a new package missing from pyproject's ``packages`` (which the editable
    install of the development venv hides) fails the import check below."""
    mapping = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"]["package-dir"]
    found = set()
    for name, folder in mapping.items():
        root = ROOT / folder
        for init in root.rglob("__init__.py"):
            if "__pycache__" in init.parts or "static" in init.relative_to(root).parts:
                continue
            parts = init.parent.relative_to(root).parts
            found.add(".".join((name, *parts)))
    return tuple(sorted(found))


SUBPACKAGES = _packages_in_the_checkout()


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project built as a wheel and installed (without dependencies, which the
    test's own environment provides) into a folder of its own."""
    wheels = tmp_path_factory.mktemp("wheel")
    target = tmp_path_factory.mktemp("site")
    # build from a copy: setuptools writes build/ and *.egg-info next to the sources
    source = tmp_path_factory.mktemp("source") / "accompany"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(".*", "build", "dist", "*.egg-info", "__pycache__", "tests", "bench"),
    )
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(wheels), str(source)],
        check=True,
        cwd=wheels,
    )
    [wheel] = wheels.glob("accompany-*.whl")
    subprocess.run([*pip, "install", "--no-deps", "--target", str(target), str(wheel)], check=True)
    return target


def test_checkout_root_imports_the_installed_package_whole(installed: Path) -> None:
    assert {"accompany.reporting", "accompany.web.routes", "accompany.migrations.versions"} <= set(
        SUBPACKAGES
    )
    script = textwrap.dedent(
        f"""
        import importlib, sys
        sys.path.insert(1, {str(installed)!r})   # after '' (the checkout root), as a worker sees it
        import yaml
        from prefect import Flow
        from prefect.utilities.importtools import import_object
        import accompany
        assert accompany.__file__.startswith({str(installed)!r}), accompany.__file__
        for name in {SUBPACKAGES!r}:
            module = importlib.import_module(name)
            assert module.__file__.startswith({str(installed)!r}), (name, module.__file__)
        document = yaml.safe_load(open("prefect.yaml", encoding="utf-8"))
        for deployment in document["deployments"]:
            assert isinstance(import_object(deployment["entrypoint"]), Flow), deployment["entrypoint"]
        from accompany.config.settings import BUILTIN_TEMPLATES
        assert (BUILTIN_TEMPLATES / "accompany-service.yaml").is_file()
        # the web app's templates, vendored front-end files and the message catalogue
        from pathlib import Path
        import accompany.web
        web = Path(accompany.web.__file__).parent
        for part in ("templates/base.html", "static/app.css", "static/vendor/htmx/htmx.min.js",
                     "static/vendor/pico/pico.min.css", "static/vendor/swagger-ui/swagger-ui-bundle.js"):
            assert (web / part).is_file(), part
        from accompany.i18n import translate
        assert translate("My work", "zh") == "我的待办"
        print("ok", len(document["deployments"]))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "ok 4"

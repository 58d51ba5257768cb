"""One top-level package: connectors/ is installed as litgraph.connectors, and no subpackage is forgotten."""

from __future__ import annotations

import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _setuptools() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]


def _folder(package: str, package_dir: dict[str, str]) -> Path:
    for prefix in sorted(package_dir, key=len, reverse=True):
        if package == prefix or package.startswith(prefix + "."):
            rest = package[len(prefix):].lstrip(".")
            return REPO / package_dir[prefix] / Path(*rest.split(".")) if rest else REPO / package_dir[prefix]
    return REPO / Path(*package.split("."))


def test_only_litgraph_is_top_level_and_every_package_folder_is_listed():
    config = _setuptools()
    packages, package_dir = config["packages"], config["package-dir"]
    assert {p.split(".")[0] for p in packages} == {"litgraph"}
    assert package_dir == {"litgraph.connectors": "connectors"}
    listed = {_folder(p, package_dir).resolve() for p in packages}
    on_disk = {init.parent.resolve() for base in ("litgraph", "connectors") for init in (REPO / base).rglob("__init__.py")}
    assert listed == on_disk


def test_the_code_imports_the_connectors_inside_litgraph():
    import litgraph.connectors.eutils

    offenders = [str(p.relative_to(REPO)) for base in ("litgraph", "connectors", "tests", "bench")
                 for p in (REPO / base).rglob("*.py")
                 if any(line.lstrip().startswith(("from connectors", "import connectors"))
                        for line in p.read_text(encoding="utf-8").splitlines())]
    assert offenders == []
    assert Path(litgraph.connectors.eutils.__file__).resolve().parent == (REPO / "connectors").resolve()

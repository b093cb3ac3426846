"""environment.yml and pyproject.toml install the same packages."""

from __future__ import annotations

import re
import tomllib

import yaml

from speechtopics.config import PROJECT_ROOT


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_lists_the_same_packages_as_pyproject():
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))[
        "project"
    ]
    extras = project["optional-dependencies"]
    wanted = {_name(r) for r in project["dependencies"]} | {
        _name(r) for extra in ("dev", "spark") for r in extras[extra]
    }
    environment = yaml.safe_load((PROJECT_ROOT / "environment.yml").read_text(encoding="utf-8"))
    assert "conda-forge" in environment["channels"]
    conda, pip = set(), []
    for entry in environment["dependencies"]:
        if isinstance(entry, dict):
            pip = entry["pip"]
        else:
            conda.add(_name(entry))
    assert "python" in conda and "python=3.11" in environment["dependencies"]
    assert pip[-1] == "-e ."
    # Java is not a Python package: conda installs it for the spark extra, pip cannot
    assert "openjdk" in conda
    listed = (conda - {"python", "pip", "openjdk"}) | {_name(r) for r in pip[:-1]}
    assert listed == wanted, (
        f"only in environment.yml: {listed - wanted}; only in pyproject: {wanted - listed}"
    )

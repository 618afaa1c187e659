"""The dependency rule (STYLE.md §2), checked on the import statements of every module."""

import ast
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
SERVICES = ("ticketing", "reservation")


def _module(path: Path) -> str:
    return ".".join(path.relative_to(SRC.parent).with_suffix("").parts)


def _imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def _breaks_rule(module: str, name: str) -> bool:
    if module.startswith("src.platform"):
        return name.startswith("src.service")
    for svc in SERVICES:
        prefix = f"src.service.{svc}"
        if not module.startswith(prefix):
            continue
        if name.startswith("src.service.") and not name.startswith(
            (prefix, "src.service.contract")
        ):
            return True  # the services share only the contract
        if module.startswith(f"{prefix}.domain"):
            root = name.split(".")[0]
            return not (root in sys.stdlib_module_names or root == "uuid6"
                        or name.startswith(f"{prefix}.domain"))
        if module.startswith(f"{prefix}.application"):
            return name.startswith((f"{prefix}.adapters", f"{prefix}.entrypoints",
                                    f"{prefix}.bootstrap"))
    return False


@pytest.mark.parametrize("path", sorted(SRC.rglob("*.py")), ids=_module)
def test_module_respects_the_dependency_rule(path):
    module = _module(path)
    assert [name for name in _imports(path) if _breaks_rule(module, name)] == []


@pytest.mark.parametrize(
    ("module", "name"),
    [
        ("src.service.ticketing.application.bookings", "src.service.reservation.domain"),
        ("src.service.reservation.domain.seat_selection", "redis"),
        ("src.service.ticketing.domain.booking", "src.platform.settings"),
        ("src.service.ticketing.application.bookings", "src.service.ticketing.adapters.kafka"),
        ("src.platform.db", "src.service.contract"),
    ],
)
def test_the_rule_catches_each_kind_of_violation(module, name):
    assert _breaks_rule(module, name)


def test_the_rule_allows_the_contract_and_inner_layers():
    assert not _breaks_rule("src.service.reservation.adapters.kafka", "src.service.contract")
    assert not _breaks_rule("src.service.ticketing.application.bookings",
                            "src.service.ticketing.domain.booking")

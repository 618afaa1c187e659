"""The dependency rule and the ownership of transitions (spec/architecture.md, "Dependency
rule" and "Ownership"), checked on the import statements of every module."""

import ast
import sys
from pathlib import Path

import pytest

from src.service import lifecycle

SRC = Path(__file__).resolve().parents[2] / "src"
SERVICES = ("ticketing", "reservation")
# The shared kernel: all the code the two services have in common (spec/architecture.md).
SHARED = ("src.service.contract", "src.service.lifecycle", "src.service.seats")
PURE_SHARED = ("src.service.lifecycle", "src.service.seats")


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
    if module.startswith(PURE_SHARED):
        return not (name.split(".")[0] in sys.stdlib_module_names or name.startswith(PURE_SHARED))
    for svc in SERVICES:
        prefix = f"src.service.{svc}"
        if not module.startswith(prefix):
            continue
        if name.startswith("src.service.") and not name.startswith(
            (prefix, *SHARED)
        ):
            return True  # the services share only the shared kernel
        if module.startswith(f"{prefix}.domain"):
            root = name.split(".")[0]
            return not (root in sys.stdlib_module_names or root == "uuid6"
                        or name.startswith((f"{prefix}.domain", *PURE_SHARED)))
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
        ("src.service.lifecycle", "pydantic"),
        ("src.service.ticketing.domain.booking", "src.service.contract"),
    ],
)
def test_the_rule_catches_each_kind_of_violation(module, name):
    assert _breaks_rule(module, name)


def test_the_rule_allows_the_contract_and_inner_layers():
    assert not _breaks_rule("src.service.reservation.adapters.kafka", "src.service.contract")
    assert not _breaks_rule("src.service.ticketing.application.bookings",
                            "src.service.ticketing.domain.booking")
    assert not _breaks_rule("src.service.ticketing.domain.booking", "src.service.lifecycle")
    assert not _breaks_rule("src.service.reservation.adapters.postgres", "src.service.seats")


def _lifecycle_names(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module == "src.service.lifecycle":
            names += [a.name for a in node.names]
    return names


def _foreign_transitions(service: str, names: list[str]) -> list[str]:
    """Names of transitions owned by another service among `names`."""
    found = [(n, getattr(lifecycle, n, None)) for n in names]
    kinds = (lifecycle.Transition, lifecycle.IssuedTicketTransition)
    return [n for n, t in found if isinstance(t, kinds) and t.owner != service]


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_performs_only_the_transitions_it_owns(service):
    modules = sorted((SRC / "service" / service).rglob("*.py"))
    used = [n for path in modules for n in _lifecycle_names(path)]
    assert used, "the service takes its statuses from the lifecycle module"
    assert _foreign_transitions(service, used) == []


def test_the_ownership_check_catches_a_foreign_transition():
    assert _foreign_transitions("ticketing", ["HOLD", "PAY"]) == ["HOLD"]
    assert _foreign_transitions("reservation", ["HOLD", "REFUSE", "BookingStatus"]) == []

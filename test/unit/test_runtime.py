"""Start-up heap freezing: what exists at the end of start-up is left out of full collections;
the open-file limit is raised for the streams a process may hold."""

import gc
import resource
import subprocess
import sys

import pytest

from src.platform.runtime import freeze_startup_heap

RAISE = ("import resource; from src.platform.runtime import raise_open_file_limit as r; "
         "print(r({wanted}), resource.getrlimit(resource.RLIMIT_NOFILE)[0])")


def test_the_start_up_heap_is_frozen_and_later_objects_are_not():
    gc.unfreeze()
    try:
        freeze_startup_heap()
        frozen = gc.get_freeze_count()
        later = [[] for _ in range(1000)]
        assert frozen > 0
        assert gc.get_freeze_count() == frozen
        assert len(later) == 1000
    finally:
        gc.unfreeze()


@pytest.mark.parametrize(("threshold0", "expected"), [(0, 700), (50_000, 50_000)])
def test_the_youngest_generations_threshold_is_set_only_when_asked(threshold0, expected):
    before = gc.get_threshold()
    gc.unfreeze()
    try:
        gc.set_threshold(700, before[1], before[2])
        freeze_startup_heap(threshold0)
        assert gc.get_threshold() == (expected, before[1], before[2])
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()


def soft_limit_after(wanted: int, soft: int) -> list[int]:
    """(what `raise_open_file_limit(wanted)` returned, the soft limit then) in a child process
    started with a soft limit of `soft` (the test process keeps its own)."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    child = subprocess.run(
        [sys.executable, "-c", RAISE.format(wanted=wanted)], capture_output=True, text=True,
        check=True, preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard)))
    return [int(n) for n in child.stdout.split()]


def test_the_open_file_limit_is_raised_up_to_the_hard_limit_and_never_lowered():
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard == resource.RLIM_INFINITY or hard < 1500:
        pytest.skip("needs a finite hard limit of at least 1,500 open files")
    assert soft_limit_after(1500, 512) == [1500, 1500]
    assert soft_limit_after(hard + 1000, 512) == [hard, hard]
    assert soft_limit_after(256, 512) == [512, 512]

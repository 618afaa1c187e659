"""Start-up heap freezing: what exists at the end of start-up is left out of full collections."""

import gc

from src.platform.runtime import freeze_startup_heap


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

"""Generator step 'experiments' (placeholder until written; see lucky/demo/generate.py)."""
from __future__ import annotations

from typing import Iterator

import pandas as pd

from lucky.demo.world import World


def generate(world: World) -> Iterator[tuple[str, str, pd.DataFrame]]:
    return iter(())

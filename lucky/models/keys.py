"""Matching text keys (user_no, order_no) read from different databases, hashed in Arrow.

A tool that joins, say, millions of coupon sends to the orders of another database in pandas
spends most of its time on Python string objects when it factorises or indexes object arrays.
pandas keeps text in Arrow already (its `str` dtype), so the arrays pass to Arrow's hash kernels
without a copy, and integer codes come back for the numpy work.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def text(values: pd.Series | pa.Array) -> pa.Array:
    """The values as one Arrow large_string array (zero-copy for pandas' Arrow-backed strings;
    numbers are written out as text, NULL stays NULL)."""
    arr = values if isinstance(values, (pa.Array, pa.ChunkedArray)) else pa.array(values, from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return arr if arr.type == pa.large_string() else pc.cast(arr, pa.large_string())


def codes(values: pd.Series | pa.Array, universe: pd.Series | pa.Array) -> np.ndarray:
    """Position of each value in `universe` (its first occurrence), -1 where absent or NULL."""
    found = pc.index_in(text(values), value_set=text(universe))
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)

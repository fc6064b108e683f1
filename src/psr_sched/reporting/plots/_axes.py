"""Helpers shared by the plots: a fresh Axes when none is given, visit-type colours."""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib import colormaps
from matplotlib.axes import Axes

ColorTuple = tuple[float, float, float, float]


def axes_or_new(ax: Axes | None, figsize: tuple[float, float] = (8.0, 4.5)) -> Axes:
    """``ax``, or the Axes of a new pyplot figure (as PyVRP's plots do)."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new = plt.subplots(figsize=figsize)
    assert isinstance(new, Axes)
    return new


def palette(keys: Sequence[str]) -> dict[str, ColorTuple]:
    """A colour per key, from ``tab20``, repeating after twenty."""
    cmap = colormaps["tab20"]
    return {key: cmap(i % 20) for i, key in enumerate(keys)}

"""Our figures in a notebook: matplotlib ``Figure`` objects shown as PNG, without pyplot.

pyplot would register the formatter itself, but it also keeps every figure open and
shows it a second time at the end of the cell. ``figure()`` makes every figure of the
package and registers only the PNG formatter, once, the first time one is made inside
IPython: importing ClusterLab changes nothing in the shell.
"""

from __future__ import annotations

import functools

from matplotlib.figure import Figure


def figure(size: tuple[float, float]) -> Figure:
    """A new pyplot-free figure of ``size`` inches that a notebook will show."""
    show_in_notebooks()
    return Figure(figsize=size)


@functools.cache
def show_in_notebooks() -> None:
    """Register the PNG formatter for ``Figure`` in the running IPython, once."""
    try:
        from IPython import get_ipython
        from IPython.core.pylabtools import print_figure
    except ImportError:  # plain Python: nothing to register with
        return
    shell = get_ipython()
    if shell is None:
        return
    shell.display_formatter.formatters["image/png"].for_type(
        Figure, lambda fig: print_figure(fig, "png", bbox_inches="tight"))

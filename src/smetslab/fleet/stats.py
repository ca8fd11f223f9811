"""Statistics over replicates and options that the report, the risk register and the CLI share.

``non_dominated`` is the Pareto rule the report uses instead of naming a "rank 1": an option is kept when no
other option is at least as good on every criterion and strictly better on one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

__all__ = ["non_dominated"]


def non_dominated(points: Mapping[str, Sequence[float]]) -> list[str]:
    """The options no other option beats on every criterion together (lower is better on each).

    ``points`` maps an option to its criteria, all of one length. Returns the non-dominated options in the
    mapping's order. Raises ValueError when the criteria differ in length.
    """
    items = list(points.items())
    if len({len(v) for _, v in items}) > 1:
        raise ValueError("non_dominated: every option needs the same number of criteria")
    kept: list[str] = []
    for name, mine in items:
        dominated = any(
            all(o <= m for o, m in zip(other, mine, strict=True))
            and any(o < m for o, m in zip(other, mine, strict=True))
            for other_name, other in items if other_name != name
        )
        if not dominated:
            kept.append(name)
    return kept

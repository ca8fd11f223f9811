"""Statistics over replicates and options that the report, the risk register and the CLI share.

Every option sees the same premises, incidents and customers in a replicate (common random numbers), so
two options are compared by their *paired* per-replicate differences: the interval of the mean difference
is far narrower than the two options' own intervals suggest, and it is the honest test of "is this option
better than that one". ``paired_interval`` is that interval; ``rank_groups`` puts options whose difference
is not significant into one rank group; ``relative_half_width`` is the precision ``fleet.precision`` drives
to a target.

``non_dominated`` is the Pareto rule the report uses instead of naming a "rank 1": an option is kept when no
other option is at least as good on every criterion and strictly better on one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

__all__ = ["non_dominated", "t_quantile_975", "t_interval", "paired_interval", "significant", "rank_groups",
           "relative_half_width", "group_footrule"]


_T975 = (12.706204736, 4.302652730, 3.182446305, 2.776445105, 2.570581836, 2.446911851, 2.364624252,
         2.306004135, 2.262157163, 2.228138852, 2.200985160, 2.178812830, 2.160368656, 2.144786688,
         2.131449546, 2.119905299, 2.109815578, 2.100922040, 2.093024054, 2.085963447, 2.079613845,
         2.073873068, 2.068657610, 2.063898562, 2.059538553, 2.055529439, 2.051830516, 2.048407142,
         2.045229642, 2.042272456)


def t_quantile_975(df: int) -> float:
    """Student t 97.5% quantile (two-sided 95%); table to df=30, then the Cornish-Fisher expansion."""
    if df < 1:
        raise ValueError("df must be >= 1")
    if df <= len(_T975):
        return _T975[df - 1]
    z = 1.959963984540054
    return z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2) \
        + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * df**3)


def t_interval(values: Sequence[float]) -> tuple[float, float, float]:
    """(mean, lo, hi): the two-sided 95% Student t-interval of the mean; lo == hi == mean for one value.

    Raises ValueError for no values."""
    n = len(values)
    if n == 0:
        raise ValueError("t_interval: no values")
    mean = math.fsum(values) / n
    if n == 1:
        return mean, mean, mean
    var = math.fsum((v - mean) ** 2 for v in values) / (n - 1)
    half = t_quantile_975(n - 1) * math.sqrt(var / n)
    return mean, mean - half, mean + half


def paired_interval(option: Sequence[float], baseline: Sequence[float]) -> tuple[float, float, float]:
    """(mean, lo, hi) of the per-replicate differences ``option[r] - baseline[r]`` (95% t-interval).

    Both sequences are in replicate order. Raises ValueError when their lengths differ (the replicates
    would not pair)."""
    if len(option) != len(baseline):
        raise ValueError(f"paired_interval: {len(option)} replicates against {len(baseline)}; they must pair")
    return t_interval([a - b for a, b in zip(option, baseline, strict=True)])


def significant(lo: float, hi: float) -> bool:
    """Whether a 95% interval of a difference excludes 0. With one replicate (lo == hi) any non-zero
    difference counts, as there is no spread to weigh it against; NaN never does."""
    if math.isnan(lo) or math.isnan(hi):
        return False
    return lo > 0.0 or hi < 0.0


def rank_groups(order: Sequence[str], values: Mapping[str, Sequence[float]]) -> dict[str, int]:
    """The rank group of each option: the rank (1-based position in ``order``) of its group's first member.

    ``order`` is the ranking (best first); ``values`` maps an option to its per-replicate values of the
    rank-by metric, in replicate order. Walking down the ranking, an option joins the current group while
    its paired difference from the group's first member is not significant; the first option that differs
    significantly starts the next group. Options without values (or with NaN) are groups of their own.
    """
    groups: dict[str, int] = {}
    leader: str | None = None
    for position, option in enumerate(order, start=1):
        mine = values.get(option)
        usable = mine is not None and len(mine) > 0 and not any(math.isnan(v) for v in mine)
        if leader is not None and usable:
            lead = values[leader]
            if len(lead) == len(mine or ()):
                _, lo, hi = paired_interval(mine or (), lead)
                if not significant(lo, hi):
                    groups[option] = groups[leader]
                    continue
        groups[option] = position
        leader = option if usable else None
    return groups


def group_footrule(central: Sequence[str], groups: Mapping[str, int], order: Sequence[str]) -> int:
    """Rank positions moved from ``central`` to ``order``, counting only moves out of a rank group.

    ``groups`` is ``rank_groups`` of the central ranking. An option whose new position (0-based) lies inside
    the span of positions its central group occupies has not moved (the order inside a group was never
    established); otherwise it counts the distance to the nearer end of that span. Options missing from
    either ranking are ignored. With every option its own group this is Spearman's footrule."""
    span: dict[int, tuple[int, int]] = {}
    for i, option in enumerate(central):
        g = groups.get(option, -1 - i)  # no group: a group of its own
        lo, hi = span.get(g, (i, i))
        span[g] = (min(lo, i), max(hi, i))
    where = {o: i for i, o in enumerate(central)}
    moved = 0
    for j, option in enumerate(order):
        if option not in where:
            continue
        lo, hi = span[groups.get(option, -1 - where[option])]
        moved += lo - j if j < lo else j - hi if j > hi else 0
    return moved


def relative_half_width(values: Sequence[float]) -> float:
    """Half-width of the 95% t-interval of the mean, as a fraction of |mean|.

    0 when every value is 0; inf when the mean is 0 but the values are not; inf for one value (no interval
    yet: one replicate says nothing about precision)."""
    if len(values) < 2:
        return math.inf
    mean, lo, hi = t_interval(values)
    half = (hi - lo) / 2.0
    if half == 0.0:
        return 0.0
    if mean == 0.0:
        return math.inf
    return half / abs(mean)


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

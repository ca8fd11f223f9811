"""Attacker classes and their rules: who can get onto a hub's HAN, and who can deny it, under each option.

Theory of operation (docs/risk.md, "Attacker classes"): an attacker class says *how* an attacker meets
the hub's local-join rules (``policy.windows``), so one function per class turns a premises' window
exposure into the probability that a targeted premises is compromised over the horizon, and one turns
it into the hours of HAN availability a flood takes away. Every rule is pure and works on Python floats
(the emulator) and numpy arrays (the fleet model, ``fleet.exposure``) alike.

- ``OPPORTUNISTIC``: tries at random times (the first release's model): success grows with the share of
  time a join is permitted, ``1 - exp(-attempts x credential_prob x open_share)``.
- ``PERSISTENT``: a device left in radio range that keeps trying, so it joins at the next permitted
  moment: success depends on whether a window opens while it is there (``openings`` in the horizon,
  dwell ``dwell_share`` of it), not on how long the window stays open.
- ``PHYSICAL``: can power-cycle the hub, press its button, touch the meter: it opens windows at will, so
  only credential checks protect; success is the probability it holds credentials of a device type the
  option admits locally (an engineer's HHT today; any consumer PPMID once PPMIDs may join locally).
- ``SCHEDULE_AWARE``: knows the alternating-window timetable: every attempt lands in a scheduled window;
  against windows at unpredictable times (power-on) it is no better than an opportunist.
- ``INSIDER``: holds valid credentials (a stolen device certificate, a pre-registered spare's EUI and
  install code) and tries at random times: only the window stands in its way.
- ``SUPPLY_CHAIN``: a compromised supplier relay cloud or phone-app back end (scored in the register from
  the relay and app shares), or a back-doored consumer device that sits in the home with valid
  credentials of its own type for the whole horizon (admitted only where that type may join locally).

Denial of service (``dos_busy_share``): a flood can only occupy the hub while it accepts joins. A
flood without credentials keeps the hub busy with key establishment (``cbke_s`` per attempt that finds
it free; attempts arriving meanwhile are turned away): a one-server loss system with Poisson arrivals
at ``rate_per_hour`` and a fixed service time, busy a share ``x / (1 + x)`` of the time,
``x = rate x cbke_s`` (Erlang's loss formula with one server; by PASTA a legitimate joiner arriving at
a random moment is turned away with that probability). A flood *with* credentials fills the device
log instead, which blocks every join until the log is cleared. The emulator's ``join_flood`` attacker
(``premises.site``) is the reference: tests/parity/test_dos_parity.py checks the formula against it.
"""

from __future__ import annotations

import enum
from typing import TypeVar

import numpy as np

__all__ = ["AttackerClass", "Control", "CONTROLS", "ATTACKER_CLASSES", "dos_busy_share", "opportunistic_success",
           "persistent_success", "physical_success", "schedule_aware_success", "insider_success",
           "supply_chain_success", "flood_overlap_hours", "dos_lost_hours", "premises_in_range"]

F = TypeVar("F", float, np.ndarray)


class AttackerClass(enum.Enum):
    OPPORTUNISTIC = "opportunistic"
    PERSISTENT = "persistent"
    PHYSICAL = "physical"
    SCHEDULE_AWARE = "schedule_aware"
    INSIDER = "insider"
    SUPPLY_CHAIN = "supply_chain"


ATTACKER_CLASSES = tuple(c.value for c in AttackerClass)


class Control(enum.Enum):
    """What can stop an attacker (the issue's list; docs/risk.md says which class each one stops)."""

    CBKE_CERTIFICATE = "cbke_certificate"
    INSTALL_CODE = "install_code"
    DEVICE_LOG_ENTRY = "device_log_entry"
    JOIN_WINDOW = "join_window"
    CPA_ASSURED_DEVICE = "cpa_assured_device"
    DCC_ANOMALY_DETECTION = "dcc_anomaly_detection"


CONTROLS = tuple(c.value for c in Control)


def _exp(x: F) -> F:
    return np.exp(x) if isinstance(x, np.ndarray) else float(np.exp(x))  # type: ignore[return-value]


def opportunistic_success(attempts: float, credential_prob: float, open_share: F) -> F:
    """P(at least one of ``attempts`` random-time tries lands in a window and passes the credential checks)."""
    return 1.0 - _exp(-attempts * credential_prob * open_share)


def persistent_success(openings: F, dwell_share: float, credential_prob: float, standing: F) -> F:
    """P(a device left in range for ``dwell_share`` of the horizon meets an opening and gets in).

    ``openings``: windows opened in the horizon (Poisson in time); ``standing``: 1 where a join is always
    permitted. The window's length does not enter: the device is there when it opens.
    """
    met = 1.0 - _exp(-openings * dwell_share)
    met = met + (1.0 - met) * standing
    return met * credential_prob


def physical_success(credential_prob_admitted: F) -> F:
    """P(an attacker at the hub gets in): it opens a window itself, so only the credential check counts."""
    return credential_prob_admitted * 1.0


def schedule_aware_success(attempts: float, credential_prob: float, open_share: F, scheduled_openings: F) -> F:
    """Every attempt lands in a scheduled window (at most one per window); else as an opportunist."""
    in_windows = np.minimum(attempts, scheduled_openings) if isinstance(scheduled_openings, np.ndarray) \
        else min(attempts, float(scheduled_openings))
    timed = 1.0 - (1.0 - credential_prob) ** in_windows
    random_time = opportunistic_success(attempts, credential_prob, open_share)
    return np.maximum(timed, random_time) if isinstance(random_time, np.ndarray) \
        else max(float(timed), float(random_time))  # type: ignore[return-value]


def insider_success(attempts: float, open_share: F, preauth_exposed: F) -> F:
    """Valid credentials, random times: only the window protects; a pre-registered spare's clone is
    admitted whenever the hub accepts the spare (at any time under ``firmware_preauth``)."""
    p = opportunistic_success(attempts, 1.0, open_share)
    return p + (1.0 - p) * preauth_exposed


def supply_chain_success(openings: F, standing: F, admitted: F) -> F:
    """A back-doored consumer device in the home for the whole horizon, with valid credentials of its own type:
    ``admitted`` is 1 where the hub admits that type locally (PPMIDs under the local-pairing options), else the
    probability it also carries an admitted type's credentials (an HHT's)."""
    return persistent_success(openings, 1.0, 1.0, standing) * admitted


def dos_busy_share(rate_per_hour: float, cbke_s: float) -> float:
    """Share of the time a flood without credentials keeps the hub busy (turning a joiner away)."""
    x = rate_per_hour / 3600.0 * cbke_s
    return x / (1.0 + x)


def flood_overlap_hours(flood_hours: float, open_share: F) -> F:
    """Expected hours of a flood at a random time that fall while a join is permitted."""
    return flood_hours * open_share


def dos_lost_hours(overlap_hours: F, overlap_prob: F, busy_share: float, credential_prob: float,
                   log_recovery_hours: float) -> F:
    """HAN availability lost to one flood: busy key establishment while joins are permitted, or, with
    credentials, a full device log until it is cleared (only if the flood meets an open window)."""
    return (1.0 - credential_prob) * busy_share * overlap_hours + credential_prob * overlap_prob * log_recovery_hours


def premises_in_range(premises_24ghz: float, band_868mhz: bool, range_multiplier_868mhz: float) -> float:
    """Premises one attacker position reaches on the HAN band in use (868 MHz reaches further)."""
    return premises_24ghz * (range_multiplier_868mhz if band_868mhz else 1.0)

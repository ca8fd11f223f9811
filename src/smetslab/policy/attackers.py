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

import numpy as np

from smetslab.policy._types import FloatArray

__all__ = ["AttackerClass", "Control", "CONTROLS", "ATTACKER_CLASSES", "dos_busy_share", "opportunistic_success",
           "persistent_success", "physical_success", "schedule_aware_success", "insider_success",
           "supply_chain_success", "flood_overlap_hours", "dos_lost_hours", "premises_in_range"]

Num = float | FloatArray
"""A probability, count or hours: a Python float (the emulator) or a numpy array (the fleet model)."""


def _out(v: object) -> Num:
    """Answer in kind: a float for scalar input, a float64 array for array input."""
    a = np.asarray(v, dtype=np.float64)
    return float(a) if a.ndim == 0 else a


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


def opportunistic_success(attempts: float, credential_prob: float, open_share: Num) -> Num:
    """P(at least one of ``attempts`` random-time tries lands in a window and passes the credential checks)."""
    return _out(1.0 - np.exp(-attempts * credential_prob * np.asarray(open_share, dtype=np.float64)))


def persistent_success(openings: Num, dwell_share: float, credential_prob: float, standing: Num) -> Num:
    """P(a device left in range for ``dwell_share`` of the horizon meets an opening and gets in).

    ``openings``: windows opened in the horizon (Poisson in time); ``standing``: 1 where a join is always
    permitted. The window's length does not enter: the device is there when it opens.
    """
    met = 1.0 - np.exp(-np.asarray(openings, dtype=np.float64) * dwell_share)
    met = met + (1.0 - met) * np.asarray(standing, dtype=np.float64)
    return _out(met * credential_prob)


def physical_success(credential_prob_admitted: Num) -> Num:
    """P(an attacker at the hub gets in): it opens a window itself, so only the credential check counts."""
    return _out(credential_prob_admitted)


def schedule_aware_success(attempts: float, credential_prob: float, open_share: Num, scheduled_openings: Num) -> Num:
    """Every attempt lands in a scheduled window (at most one per window); else as an opportunist."""
    in_windows = np.minimum(attempts, np.asarray(scheduled_openings, dtype=np.float64))
    timed = 1.0 - (1.0 - credential_prob) ** in_windows
    return _out(np.maximum(timed, opportunistic_success(attempts, credential_prob, open_share)))


def insider_success(attempts: float, open_share: Num, preauth_exposed: Num) -> Num:
    """Valid credentials, random times: only the window protects; a pre-registered spare's clone is
    admitted whenever the hub accepts the spare (at any time under ``firmware_preauth``)."""
    p = np.asarray(opportunistic_success(attempts, 1.0, open_share))
    return _out(p + (1.0 - p) * np.asarray(preauth_exposed, dtype=np.float64))


def supply_chain_success(openings: Num, standing: Num, admitted: Num) -> Num:
    """A back-doored consumer device in the home for the whole horizon, with valid credentials of its own type:
    ``admitted`` is 1 where the hub admits that type locally (PPMIDs under the local-pairing options), else the
    probability it also carries an admitted type's credentials (an HHT's)."""
    met = np.asarray(persistent_success(openings, 1.0, 1.0, standing))
    return _out(met * np.asarray(admitted, dtype=np.float64))


def dos_busy_share(rate_per_hour: float, cbke_s: float) -> float:
    """Share of the time a flood without credentials keeps the hub busy (turning a joiner away)."""
    x = rate_per_hour / 3600.0 * cbke_s
    return x / (1.0 + x)


def flood_overlap_hours(flood_hours: float, open_share: Num) -> Num:
    """Expected hours of a flood at a random time that fall while a join is permitted."""
    return _out(flood_hours * np.asarray(open_share, dtype=np.float64))


def dos_lost_hours(overlap_hours: Num, overlap_prob: Num, busy_share: float, credential_prob: Num,
                   log_recovery_hours: float) -> Num:
    """HAN availability lost to one flood: busy key establishment while joins are permitted, or, with
    credentials, a full device log until it is cleared (only if the flood meets an open window)."""
    cred = np.asarray(credential_prob, dtype=np.float64)
    return _out((1.0 - cred) * busy_share * np.asarray(overlap_hours, dtype=np.float64)
                + cred * np.asarray(overlap_prob, dtype=np.float64) * log_recovery_hours)


def premises_in_range(premises_24ghz: float, band_868mhz: bool, range_multiplier_868mhz: float) -> float:
    """Premises one attacker position reaches on the HAN band in use (868 MHz reaches further)."""
    return premises_24ghz * (range_multiplier_868mhz if band_868mhz else 1.0)

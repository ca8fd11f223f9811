"""The option catalogue of DESIGN.md ("The options"), defined once, and how options combine.

Theory of operation: each of the 13 catalogue options is an ``OptionInfo`` (what it is, who acts,
hardware and CPA implications, where it comes from). An option *as compared* may be a single id or a
combination written ``"a+b"``; ``combine`` turns it into an ``OptionEffect``, the flat set of
capabilities the device rules (``policy.windows``, ``policy.wan``, ``policy.routes``) and the fleet
model read. Combination rules (docs/options.md):

- routes: every capability any component provides is available; the time to restore a top-up
  route is the minimum over the routes available (so a combination is never slower than a part);
- the DCC remedy cap is the tightest of the components' caps;
- exposure adds (join windows are unioned in time; a standing window covers everything);
- costs add (each component pays its own development, hardware and CPA);
- CPA is needed if any component needs it; ``new_hardware_only`` if any component is new-hardware only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from smetslab.errors import InputError

__all__ = [
    "Actor",
    "OptionInfo",
    "OPTIONS",
    "OptionEffect",
    "combine",
    "components_of",
    "LOCAL_PAIRING_MECHANISMS",
]

Actor = Literal["consumer", "engineer", "supplier", "DCC"]

LOCAL_PAIRING_MECHANISMS = ("standing", "preauth", "button", "power_cycle", "alternating")
"""Ways a PPMID can join the HAN without the WAN, in the order the model prefers them when several
are available (fastest first at equal delay; only the choice recorded for exposure depends on it)."""

_DESIGN = "DESIGN.md 'The options'"
_SSC_CPA = ("DESIGN.md background: the SSC warned PPMIDs/IHDs with HHT-like powers would need Commercial "
            "Product Assurance")


@dataclass(frozen=True)
class OptionInfo:
    """One catalogue option: metadata shared by the emulator, the fleet model and the report."""

    id: str
    title: str
    description: str
    what_changes: str
    who_acts: tuple[Actor, ...]
    new_hardware_only: bool
    cpa_needed: bool
    source: str


def _o(id_: str, title: str, description: str, what_changes: str, who_acts: tuple[Actor, ...],
       new_hardware_only: bool, cpa_needed: bool, source: str) -> OptionInfo:
    return OptionInfo(id_, title, description, what_changes, who_acts, new_hardware_only, cpa_needed, source)


OPTIONS: dict[str, OptionInfo] = {o.id: o for o in (
    _o("baseline", "Today's rules",
       "PPMID pairing needs the WAN (CCS01 + CS03A2/CS03C); an HHT may join locally only within 60 minutes "
       "of the hub powering on; the DCC has up to 90 days to remedy a no-WAN site.",
       "nothing (reference)", ("DCC", "engineer", "supplier"), False, False,
       f"{_DESIGN}; DOMAIN.md §3.6 (60-minute inter-PAN window, GBCS 2014 draft); SEC F7.18 via DOMAIN.md §4.2"),
    _o("secmp0037", "SECMP0037: pair local PPMIDs, no time limit",
       "A PPMID may join like an HHT at any time: the 60-minute limit is removed, so a replacement PPMID "
       "pairs without the WAN or an engineer.",
       "standing local-join window on every hub reached by the firmware", ("consumer", "supplier"), False, True,
       f"{_DESIGN}; DOMAIN.md §3.6 (SECMP0037 page, smartenergycodecompany.co.uk); {_SSC_CPA}"),
    _o("power_cycle_window", "Keep 60 minutes; the consumer power-cycles the hub",
       "A PPMID may join in the 60-minute window after power-on; the consumer opens it by power-cycling "
       "the hub (needs physical access to the hub on the meter).",
       "local PPMID join in the HHT window after a (deliberate) power cycle", ("consumer",), False, True,
       f"{_DESIGN}; {_SSC_CPA}"),
    _o("hub_button", "Button on the hub",
       "Pressing a button on the hub opens a short local-join window; needs physical access; new hubs only "
       "(or a hub exchange).",
       "button-opened local-join window on new hubs", ("consumer",), True, True,
       f"{_DESIGN} (working-group alternative); {_SSC_CPA}"),
    _o("alternating_windows", "5-minute join windows at alternating times in 24 h",
       "Instead of the 60-minute window, the hub opens 5-minute local-join windows at times that alternate "
       "from day to day; a PPMID waits for the next window.",
       "scheduled 5-minute windows replace the 60-minute power-on window", ("consumer",), False, True,
       f"{_DESIGN} (working-group alternative, 5-minute windows); {_SSC_CPA}"),
    _o("firmware_preauth", "Firmware pre-authorises a spare PPMID",
       "While the WAN is up the supplier pre-registers a spare PPMID's credentials in the hub (CCS01); "
       "if the PPMID is later lost with the WAN down, the spare joins without the WAN.",
       "pre-registered spare PPMID joins without the WAN (not at a no-WAN install)", ("supplier", "consumer"),
       False, False,
       f"{_DESIGN} (working-group alternative); assumption: a pre-registered device has no HHT-like powers, "
       f"so no new CPA"),
    _o("meter_bluetooth", "Bluetooth on the meter (phone app replaces the PPMID)",
       "New meters carry Bluetooth; a phone app carries top-ups to the meter, so a lost PPMID or a dead WAN "
       "does not stop top-ups; radio range of metres sets the exposure.",
       "phone route on new meters for customers with a smartphone", ("consumer",), True, True,
       f"{_DESIGN} (working-group alternative); {_SSC_CPA}"),
    _o("meter_nfc", "NFC on the meter (phone app replaces the PPMID)",
       "As meter_bluetooth, but over NFC: range of centimetres, so the phone must touch the meter.",
       "phone route on new meters (touch range) for customers with a smartphone", ("consumer",), True, True,
       f"{_DESIGN} (working-group alternative); {_SSC_CPA}"),
    _o("wan_repeaters", "WAN repeaters",
       "An engineer fits a WAN repeater at a no-WAN site the repeater can fix, shortening the outage; a "
       "capital cost per repeater.",
       "shorter no-WAN cases where a repeater fixes the signal", ("engineer", "DCC"), False, False,
       f"{_DESIGN} (working-group alternative)"),
    _o("mini_base_stations", "Mini base stations (Central and South)",
       "Mini base stations in the Central and South regions prevent a share of no-WAN cases there; a "
       "capital and running cost.",
       "fewer no-WAN cases in the Central and South regions", ("DCC",), False, False,
       f"{_DESIGN} (working-group alternative: 'mini base stations in the Central and South regions')"),
    _o("mesh_hub", "Mesh Communications Hubs",
       "A mesh hub reaches the WAN through a neighbouring hub of the same supplier in range; through "
       "another supplier's hub only after the DCC brokers it; new hubs only.",
       "no-WAN cases avoided or shortened via neighbouring hubs", ("DCC",), True, False,
       f"{_DESIGN}; DOMAIN.md §4.2 (DCC preliminary assessment of SECMP0032 suggested mesh hubs)"),
    _o("secmp0032", "SECMP0032: 30-day remedy for prepayment sites",
       "The DCC prioritises prepayment customers in no-WAN situations: remedy within 30 days instead of "
       "90; the DCC costed it at about £1bn.",
       "DCC remedy cap 30 days instead of 90", ("DCC", "supplier"), False, False,
       f"{_DESIGN}; DOMAIN.md §4.2 (SECMP0032 page)"),
    _o("secmp0038", "SECMP0038: commands via a Wi-Fi PPMID",
       "The supplier sends fully formed signed GBCS commands to an already-joined PPMID over the customer's "
       "broadband; the PPMID relays them onto the HAN while the WAN is down.",
       "remote top-ups relayed via broadband and a joined Wi-Fi PPMID; new cloud attack surface",
       ("supplier", "consumer"), False, True,
       f"{_DESIGN}; DOMAIN.md §4.2 (SECMP0038 page: not viable for security reasons, superseded by DP094); "
       f"{_SSC_CPA}"),
)}


@dataclass(frozen=True)
class OptionEffect:
    """What an option (single or combined) changes, as flat capabilities read by the rules.

    ``local_pairing`` holds the mechanisms of ``LOCAL_PAIRING_MECHANISMS`` the option provides;
    ``phone_radio`` the meter radios ("bluetooth", "nfc") a phone app can use.
    """

    option: str
    components: tuple[str, ...]
    prioritised_remedy: bool
    local_pairing: frozenset[str]
    phone_radio: frozenset[str]
    relay: bool
    wan_repeaters: bool
    mini_base_stations: bool
    mesh: bool
    cpa_needed: bool
    new_hardware_only: bool

    @property
    def replaces_power_on_window(self) -> bool:
        """Alternating windows replace the 60-minute power-on window (DESIGN.md: 'instead of')."""
        return "alternating" in self.local_pairing


def components_of(option: str, field: str = "option") -> tuple[str, ...]:
    """Split ``"a+b"`` into catalogue ids; InputError naming the part that is not in the catalogue."""
    if not isinstance(option, str) or not option.strip():
        raise InputError(f"{field} {option!r}: expected an option id or 'a+b'; allowed: {', '.join(OPTIONS)}")
    parts = tuple(p.strip() for p in option.split("+"))
    for p in parts:
        if p not in OPTIONS:
            raise InputError(f"{field} {option!r}: unknown option {p!r}; allowed: {', '.join(OPTIONS)} "
                             f"(combine with '+', e.g. 'secmp0037+secmp0032')")
    if len(set(parts)) != len(parts):
        raise InputError(f"{field} {option!r}: an option appears twice; each component at most once")
    if len(parts) > 1 and "baseline" in parts:
        raise InputError(f"{field} {option!r}: 'baseline' cannot be combined (every option already builds on "
                         f"today's rules); write the other components alone")
    return parts


_PAIRING = {"secmp0037": "standing", "power_cycle_window": "power_cycle", "hub_button": "button",
            "alternating_windows": "alternating", "firmware_preauth": "preauth"}
_RADIO = {"meter_bluetooth": "bluetooth", "meter_nfc": "nfc"}


def combine(option: str, field: str = "option") -> OptionEffect:
    """The flat effect of an option id or combination ``"a+b"`` (rules in the module docstring)."""
    parts = components_of(option, field)
    infos = [OPTIONS[p] for p in parts]
    return OptionEffect(
        option="+".join(parts),
        components=parts,
        prioritised_remedy="secmp0032" in parts,
        local_pairing=frozenset(_PAIRING[p] for p in parts if p in _PAIRING),
        phone_radio=frozenset(_RADIO[p] for p in parts if p in _RADIO),
        relay="secmp0038" in parts,
        wan_repeaters="wan_repeaters" in parts,
        mini_base_stations="mini_base_stations" in parts,
        mesh="mesh_hub" in parts,
        cpa_needed=any(i.cpa_needed for i in infos),
        new_hardware_only=any(i.new_hardware_only for i in infos),
    )

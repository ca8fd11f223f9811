"""GBCS code tables: message codes, alert codes and the small enumerations of the join and
prepayment services.

Sources (facts only, written in our own format):
- DOMAIN.md §2.7 (message and alert codes from SmartDCCInnovation/gbcs-parser ``src/util.ts``, the
  duis-templates mapping table and RTDS folder names), §3.5 (join enums), §1.7 (ZCL top-up enums);
- the RTDS 4.5.0 index (``gbcs-rtds/index.csv``): GBCS use-case titles per message code, the DUIS
  service request of the RTDS folder, and the payload encoding seen in the messages.

``message_type`` is the GBCS message class. Where DOMAIN.md §2.7 states it, it is copied; otherwise
it is what RTDS shows for that code: a command with a valid signature (and a pre-command) is
critical (SME.C.C), an unsigned MAC'd command non-critical (SME.C.NC); signed alerts SME.A.C,
unsigned alerts SME.A.NC. Empty when neither source says. ``title`` is empty where no stored source
gives the GBCS title (RTDS only names the use case, e.g. ECS46d).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

__all__ = [
    "MessageInfo",
    "AlertInfo",
    "message_info",
    "message_name",
    "alert_info",
    "alert_name",
    "MESSAGES",
    "ALERTS",
    "JoinMethodRole",
    "DeviceType",
    "JoinResponse",
    "UnjoinResponse",
    "TopUpResult",
    "OriginatingDevice",
]


@dataclass(frozen=True, slots=True)
class MessageInfo:
    code: int
    use_case: str              # e.g. "CS01a"; empty for alerts GBCS names only by title
    title: str                 # GBCS use-case title; empty when no source gives it
    message_type: str          # SME.C.C, SME.C.NC, SME.A.C, SME.A.NC, ... (see module docstring)
    service_request: str       # DUIS service request(s), e.g. "2.2" or "8.7.1/8.7.2"; empty if none
    payload: str               # "DLMS", "GBZ", "DER" (as seen in RTDS) or "DLMS/GBZ"; empty if unseen

    @property
    def name(self) -> str:
        """``0x0007 CS01a Apply Prepayment Top Up to an ESME``."""
        return " ".join(p for p in (f"0x{self.code:04X}", self.use_case, self.title) if p)


@dataclass(frozen=True, slots=True)
class AlertInfo:
    code: int
    name: str
    source: str                # "DOMAIN §2.7" or the RTDS use case whose message carries it

    @property
    def label(self) -> str:
        return f"0x{self.code:04X} {self.name}"


# (code, use case, title, GBCS message type, DUIS service request, payload encoding)
_MESSAGES: tuple[tuple[int, str, str, str, str, str], ...] = (
    (0x0001, "CCS01", "Add Device to CHF device log", "SME.C.NC", "8.11", "DLMS"),
    (0x0002, "CCS02", "Remove device from CHF device log", "SME.C.NC", "8.11", "DLMS"),
    (0x0003, "CCS03", "Restore CHF Device Log", "SME.C.NC", "8.12.1", "DLMS"),
    (0x0004, "CCS05CCS04", "Read CHF device log", "SME.C.NC", "8.9", "DLMS"),
    (0x0007, "CS01a", "Apply Prepayment Top Up to an ESME", "SME.C.NC", "2.2", "DLMS"),
    (0x0008, "CS02a", "Provide Security Credentials Details", "SME.C.C / SME.C.NC", "6.24.1", "DER"),
    (0x000A, "CS02c", "Issue Security Credentials", "SME.C.C", "6.17", "DER"),
    (0x000B, "CS02d", "Update Device Certificates on Device", "SME.C.C", "6.15.2", "DER"),
    (0x000C, "CS02e", "Provide Device Certificates from Device", "SME.C.C", "6.24.2", "DER"),
    (0x000D, "CS03A1", "Method A Join (Meter)", "SME.C.C", "8.7.1", "DER"),
    (0x000E, "CS03B", "Method B Join", "SME.C.NC", "8.7.2", "DER"),
    (0x000F, "CS04AC", "Method A or C Unjoin", "SME.C.C", "8.8.1/8.8.2", "DER"),
    (0x0010, "CS04B", "Method B Unjoin", "SME.C.NC", "8.8.2", "DER"),
    (0x0012, "CS06", "Activate Firmware", "SME.C.C", "11.3", "DER"),
    (0x0013, "CS07", "Read Device Join Details", "SME.C.NC", "8.9", "DER"),
    (0x0014, "CS10a", "Read ZigBee Device Event Log", "SME.C.NC", "6.13", "GBZ"),
    (0x0015, "CS11", "Clear ZigBee Device Event Log", "SME.C.NC", "3.3", "GBZ"),
    (0x0018, "CS14", "Device Addition To / Removal From HAN Whitelist Alerts", "SME.A.NC", "", "DLMS"),
    (0x0019, "ECS01a", "Set Tariff and Price on ESME", "SME.C.C", "1.1.1", "DLMS"),
    (0x001A, "ECS02", "Set ESME Payment Mode to Credit", "SME.C.C", "1.6", "DLMS"),
    (0x001B, "ECS03", "Set ESME Payment Mode to Prepayment", "SME.C.C", "1.6", "DLMS"),
    (0x001C, "ECS04a", "Adjust Meter Balance on the ESME", "SME.C.C", "1.5", "DLMS"),
    (0x001D, "ECS05", "Reset Tariff Block Counter Matrix", "SME.C.C", "1.7", "DLMS"),
    (0x001E, "ECS07", "Manage Debt on the ESME", "SME.C.C", "2.3", "DLMS"),
    (0x001F, "ECS08", "Update Prepayment Configuration on ESME", "SME.C.C", "2.1", "DLMS"),
    (0x0020, "ECS09", "Activate Emergency Credit Remotely on ESME", "SME.C.C", "2.5", "DLMS"),
    (0x0021, "ECS10", "Send Message to ESME", "SME.C.NC", "3.1", "DLMS"),
    (0x0022, "ECS12", "Set Change of Tenancy date on ESME", "SME.C.NC", "3.2", "DLMS"),
    (0x0023, "ECS14", "Disable Privacy PIN Protection on ESME", "SME.C.NC", "3.5", "DLMS"),
    (0x0024, "ECS15a", "Clear ESME Event Log", "SME.C.NC", "3.3", "DLMS"),
    (0x0025, "ECS16", "Write Supplier Contact Details on ESME", "SME.C.NC", "3.4", "DLMS"),
    (0x0026, "ECS17a", "Read ESME Energy Registers (Export Energy)", "SME.C.NC", "4.2", "DLMS"),
    (0x0027, "ECS17b", "Read ESME Energy Registers (Import Energy)", "SME.C.NC", "4.1.1", "DLMS"),
    (0x0028, "ECS17c", "Read ESME Energy Registers (Power)", "SME.C.NC", "4.16", "DLMS"),
    (0x0029, "ECS17d", "Read ESME Energy Register (TOU)", "SME.C.NC", "4.1.2", "DLMS"),
    (0x002A, "ECS17e", "Read ESME Energy Register (TOU with Blocks)", "SME.C.NC", "4.1.3", "DLMS"),
    (0x002B, "ECS18a", "Read Maximum Demand Registers (export)", "SME.C.NC", "4.12.2", "DLMS"),
    (0x002C, "ECS18b", "Read Maximum Demand Registers (import)", "SME.C.NC", "4.12.1", "DLMS"),
    (0x002D, "ECS19", "Read ESME Prepayment Registers", "SME.C.NC", "4.3", "DLMS"),
    (0x002E, "ECS20a", "Read ESME Billing Data Log (payment based debt payments)", "SME.C.NC", "4.4.4", "DLMS"),
    (0x002F, "ECS20b", "Read ESME Billing Data Log (change of mode / tariff triggered exc export)", "SME.C.NC", "4.4.2", "DLMS"),
    (0x0030, "ECS20c", "Read ESME Billing Data Log (billing calendar triggered exc export)", "SME.C.NC", "4.4.3", "DLMS"),
    (0x0033, "ECS21a", "Read Electricity Daily Read Log (exc export)", "SME.C.NC", "4.6.1", "DLMS"),
    (0x0034, "ECS21b", "Read Electricity (Prepayment) Daily Read Log", "SME.C.NC", "4.14", "DLMS"),
    (0x0035, "ECS21c", "Read Electricity Daily Read Log (export only)", "SME.C.NC", "4.6.2", "DLMS"),
    (0x0036, "ECS22a", "Read Electricity Half Hour Profile Data (export)", "SME.C.NC", "4.8.3", "DLMS"),
    (0x0037, "ECS22b", "Read Electricity Half Hour Profile Data (active import)", "SME.C.NC", "4.8.1", "DLMS"),
    (0x0038, "ECS22c", "Read Electricity Half Hour Profile Data (reactive import)", "SME.C.NC", "4.8.2", "DLMS"),
    (0x0039, "ECS23", "Read Voltage Operational Data", "SME.C.NC", "4.10", "DLMS"),
    (0x003A, "ECS24", "Read ESME Tariff Data", "SME.C.NC", "4.11.1", "DLMS"),
    (0x003B, "ECS26a", "Read ESME Configuration Data Prepayment", "SME.C.NC", "4.13", "DLMS"),
    (0x003C, "ECS26b", "Read ESME Configuration Voltage Data", "SME.C.NC", "6.2.1", "DLMS"),
    (0x003D, "ECS26c", "Read ESME Configuration Data Device Information (randomisation)", "SME.C.NC", "6.2.2", "DLMS"),
    (0x003E, "ECS26d", "Read ESME Configuration Data Device Information (Billing Calendar)", "SME.C.NC", "6.2.3", "DLMS"),
    (0x003F, "ECS26e", "Read ESME Configuration Data Device Information (device identity exc MPAN)", "SME.C.NC", "6.2.4", "DLMS"),
    (0x0040, "ECS26f", "Read ESME Configuration Data Device Information (instantaneous power thresholds)", "SME.C.NC", "6.2.5", "DLMS"),
    (0x0042, "ECS27", "Read ESME Load Limit Data", "SME.C.NC", "4.15", "DLMS"),
    (0x0043, "ECS28a", "Set Load Limit Configurations - General Settings", "SME.C.C", "6.4.1", "DLMS"),
    (0x0044, "ECS28b", "Set Load Limit Configuration Counter Reset", "SME.C.NC", "6.4.2", "DLMS"),
    (0x0045, "ECS29a", "Set Voltage Configurations on ESME", "SME.C.NC", "6.5", "DLMS"),
    (0x0046, "ECS30", "Set Billing Calendar on the ESME", "SME.C.C", "6.8", "DLMS"),
    (0x0047, "ECS34", "Set Instantaneous Power Threshold Configuration", "SME.C.NC", "6.12", "DLMS"),
    (0x0048, "ECS35a", "Read ESME Event Log", "SME.C.NC", "6.13", "DLMS"),
    (0x0049, "ECS35b", "Read ESME Security Log", "SME.C.NC", "6.13", "DLMS"),
    (0x004A, "ECS37", "Set Maximum Demand Configurable Time Period", "SME.C.NC", "6.18.1", "DLMS"),
    (0x004B, "ECS38", "Update Randomised Offset Limit", "SME.C.C", "7.12", "DLMS"),
    (0x004C, "ECS39a", "Set MPAN Value on the ESME", "SME.C.NC", "6.20.1", "DLMS"),
    (0x004D, "ECS39b", "Set Export MPAN Value on the ESME", "SME.C.NC", "6.20.2", "DLMS"),
    (0x004E, "ECS40", "Read MPAN Value on the ESME", "SME.C.NC", "6.2.7", "DLMS"),
    (0x004F, "ECS42", "Remotely Close the Load Switch on the ESME", "SME.C.C", "7.1", "DLMS"),
    (0x0050, "ECS43", "Remotely Open the Load Switch on the ESME", "SME.C.C", "7.2", "DLMS"),
    (0x0051, "ECS44", "Arm Load Switch in ESME", "SME.C.C", "7.3", "DLMS"),
    (0x0052, "ECS45", "Read Status of Load Switch in the ESME", "SME.C.NC", "7.4", "DLMS"),
    (0x0053, "ECS46a", "Set HC ALCS or ALCS Labels in ESME", "SME.C.C", "6.14.1", "DLMS"),
    (0x0054, "ECS46c", "Set HC ALCS and ALCS configuration in ESME (excluding labels)", "SME.C.C", "6.14.2", "DLMS"),
    (0x0055, "ECS47", "Set or Reset HC ALCS or ALCS State", "SME.C.C", "7.5/7.6/7.8", "DLMS"),
    (0x0058, "ECS50", "Send CIN to ESME", "SME.C.NC", "9.1", "DLMS"),
    (0x0059, "ECS52", "Read ESME/Comms Hub Firmware Version", "SME.C.NC", "11.2", "DLMS"),
    (0x005A, "ECS57", "Reset ESME Maximum Demand Registers", "SME.C.NC", "6.18.2", "DLMS"),
    (0x005E, "ECS61c", "Read Boost Button Data from ESME", "SME.C.NC", "7.11", "DLMS"),
    (0x005F, "ECS62", "Set ALCS and Boost Button Association", "SME.C.NC", "7.10/7.9", "DLMS"),
    (0x0060, "ECS66", "Read ESME Daily Consumption Log", "SME.C.NC", "4.17", "DLMS"),
    (0x0061, "ECS68", "ESME Critical Sensitive Alert (Billing Data Log)", "SME.A.C", "", "DLMS"),
    (0x0062, "ECS70", "Set Clock on ESME", "SME.C.C", "6.11/8.1.1", "DLMS"),
    (0x0067, "ECS80", "Supply Outage Restore Alert from ESME", "SME.A.C", "", "DLMS"),
    (0x0068, "ECS81", "Set Supply Tamper State on ESME", "SME.C.C", "6.25", "DLMS"),
    (0x0069, "ECS82", "Read Meter Balance for ESME", "SME.C.NC", "4.18", "DLMS"),
    (0x006B, "GCS01a", "Set Tariff and Price on GSME", "SME.C.C", "1.1.1", "GBZ"),
    (0x006C, "GCS02", "Set GSME Payment Mode to Credit", "SME.C.C", "1.6", "GBZ"),
    (0x006D, "GCS03", "Set GSME Payment Mode to Prepayment", "SME.C.C", "1.6", "GBZ"),
    (0x006E, "GCS04", "Manage Debt on the GSME", "SME.C.C", "2.3", "GBZ"),
    (0x006F, "GCS05", "Update Prepayment Configurations on GSME", "SME.C.C", "2.1", "GBZ"),
    (0x0070, "GCS06", "Activate Emergency Credit Remotely on GSME", "SME.C.C", "2.5", "GBZ"),
    (0x0071, "GCS07", "Send Message to GSME", "SME.C.NC", "3.1", "GBZ"),
    (0x0072, "GCS09", "Set Change of Tenancy date on GPF", "SME.C.NC", "3.2", "GBZ"),
    (0x0073, "GCS11", "Disable Privacy PIN Protection on GSME", "SME.C.NC", "3.5", "GBZ"),
    (0x0074, "GCS13a", "Read GSME Consumption Register", "SME.C.NC", "4.1.1", "GBZ"),
    (0x0075, "GCS14", "Read GSME Prepayment Registers", "SME.C.NC", "4.3", "GBZ"),
    (0x0076, "GCS15c", "Read GSME Billing Data Log (billing calendar triggered)", "SME.C.NC", "4.4.3", "GBZ"),
    (0x0077, "GCS16a", "Read GSME Daily Read Log", "SME.C.NC", "4.6.1", "GBZ"),
    (0x0078, "GCS17", "Read GSME Profile Data Log", "SME.C.NC", "4.8.1", "GBZ"),
    (0x0079, "GCS18", "Read Gas Network Data Log", "SME.C.NC", "4.10", "GBZ"),
    (0x007B, "GCS21a", "Read Gas Configuration Data Device Information", "SME.C.NC", "6.2.8", "GBZ"),
    (0x007C, "GCS23", "Set CV and Conversion Factor Value(s) on the GSME", "SME.C.C", "6.6", "GBZ"),
    (0x007D, "GCS24", "Set Uncontrolled Gas Flow Rate and Supply Tamper State on the GSME", "SME.C.C", "6.7", "GBZ"),
    (0x007E, "GCS25", "Set Billing Calendar on the GSME", "SME.C.C", "6.8", "GBZ"),
    (0x007F, "GCS28", "Set Clock on GSME", "SME.C.C", "6.11/8.1.1", "DER"),
    (0x0080, "GCS31", "Start Network Data Log on GSME", "SME.C.NC", "14.1", "GBZ"),
    (0x0081, "GCS32", "Remotely close the valve in the GSME", "SME.C.C", "7.2", "GBZ"),
    (0x0082, "GCS33", "Read GSME Valve Status", "SME.C.NC", "7.4", "GBZ"),
    (0x0083, "GCS36", "Send CIN to GSME", "SME.C.NC", "9.1", "GBZ"),
    (0x0084, "GCS38", "Read GSME Firmware Version", "SME.C.NC", "11.2", "GBZ"),
    (0x0085, "GCS39", "Arm Valve in GSME", "SME.C.C", "7.3", "GBZ"),
    (0x0086, "GCS40a", "Adjust Prepayment Mode Meter Balance on the GSME", "SME.C.C", "1.5", "GBZ"),
    (0x0087, "GCS41", "Set MPRN Value on the GSME", "SME.C.NC", "6.20.1", "GBZ"),
    (0x0088, "GCS44", "Write Contact Details on GSME", "SME.C.NC", "3.4", "GBZ"),
    (0x0089, "GCS46", "Read MPRN on the GSME", "SME.C.NC", "6.2.7", "GBZ"),
    (0x008B, "GCS53", "Push Billing Data Log as an Alert", "SME.A.C", "", "GBZ"),
    (0x008C, "GCS59", "Restore GPF Device Log", "SME.C.NC", "8.12.2", "DER"),
    (0x008D, "GCS60", "Read Meter Balance for GSME", "SME.C.NC", "4.18", "GBZ"),
    (0x0090, "PCS02", "Activate Emergency Credit on GSME from PPMID", "SME.C.PPMID-GSME", "", "GBZ"),
    (0x0092, "ECS26i", "Read Configuration Data Device Information (CHF identity)", "SME.C.NC", "6.2.4", "DLMS"),
    (0x0093, "ECS35c", "Read CHF Event Log", "SME.C.NC", "6.13", "DLMS"),
    (0x0094, "ECS35d", "Read CHF Security Log", "SME.C.NC", "6.13", "DLMS"),
    (0x0096, "GCS16b", "Read GSME Daily Read log(s) (prepayment)", "SME.C.NC", "4.14", "GBZ"),
    (0x0097, "CS01b", "Apply Prepayment Top Up to a GSME", "SME.C.NC", "2.2", "GBZ"),
    (0x009B, "PCS01", "Apply Prepayment Top Up to a GSME using PPMID", "SME.C.PPMID-GSME", "", "GBZ"),
    (0x009D, "GCS21d", "Read GSME Configuration Data Device Information (BillingCalendar)", "SME.C.NC", "6.2.3", "GBZ"),
    (0x009E, "GCS21e", "Read GSME/GPF Configuration Data Device Information (device identity)", "SME.C.NC", "6.2.4", "GBZ"),
    (0x009F, "GCS21f", "Read GSME Tariff Data", "SME.C.NC", "4.11.1", "GBZ"),
    (0x00A0, "GCS61", "Read Gas Daily Consumption Log", "SME.C.NC", "4.17", "GBZ"),
    (0x00A1, "CS10b", "Read ZigBee Device Security Log", "SME.C.NC", "6.13", "GBZ"),
    (0x00A2, "ECS01b", "Set Price on ESME", "SME.C.C", "1.2.1", "DLMS"),
    (0x00A3, "GCS01b", "Set Price on GSME", "SME.C.C", "1.2.1", "GBZ"),
    (0x00AB, "CS03A2", "Method A Join (non Meter)", "SME.C.C", "8.7.1/8.7.2", "DER"),
    (0x00AC, "ECS25a", "Set Alert Behaviours - ESME - Supplier", "SME.C.NC", "6.22", "DLMS"),
    (0x00AD, "GCS20", "Set Alert Behaviours - GSME", "SME.C.NC", "6.22", "GBZ"),
    (0x00AE, "ECS29b", "Set Voltage Configurations on ESME - 3ph", "SME.C.NC", "6.5", "DLMS"),
    (0x00AF, "CS03C", "Method C Join", "SME.C.C", "8.7.1/8.7.2", "DER"),
    (0x00B0, "ECS25b", "Set Alert Behaviours - ESME - Network Operator", "SME.C.NC", "6.22", "DLMS"),
    (0x00B2, "GCS62", "Backup GPF Device Log", "SME.A.NC", "", "DER"),
    (0x00B3, "ECS04b", "Reset Meter Balance on the ESME", "SME.C.C", "1.5", "DLMS"),
    (0x00B4, "GCS40b", "Reset Prepayment Mode Meter Balance on the GSME", "SME.C.C", "1.5", "GBZ"),
    (0x00B5, "GCS21b", "Read GSME Configuration Data Prepayment", "SME.C.NC", "4.13", "GBZ"),
    (0x00B6, "GCS13c", "Read GSME Register (TOU)", "SME.C.NC", "4.1.2", "GBZ"),
    (0x00B7, "ECS01c", "Set Tariff and Price on ESME secondary", "SME.C.C", "1.1.2", "DLMS"),
    (0x00B8, "GCS13b", "Read GSME Block Counters", "SME.C.NC", "4.1.4", "GBZ"),
    (0x00B9, "ECS35e", "Read ESME Power Event Log", "SME.C.NC", "6.13", "DLMS"),
    (0x00BA, "ECS35f", "Read ALCS Event Log", "SME.C.NC", "6.13", "DLMS"),
    (0x00BB, "ECS61a", "Read HC ALCS and ALCS Data from ESME", "SME.C.NC", "7.7", "DLMS"),
    (0x00BC, "ECS23b", "Read Voltage Operational Data - 3 Phase", "SME.C.NC", "4.10", "DLMS"),
    (0x00BD, "ECS24b", "Read ESME Tariff Data - second element", "SME.C.NC", "4.11.2", "DLMS"),
    (0x00BE, "ECS26j", "Read ESME Configuration Data Device Information (Payment Mode)", "SME.C.NC", "6.2.9", "DLMS"),
    (0x00BF, "GCS21j", "Read GSME Configuration Data Device Information (Payment Mode)", "SME.C.NC", "6.2.9", "GBZ"),
    (0x00C0, "GCS40c", "Adjust Credit Mode Meter Balance on the GSME", "SME.C.C", "1.5", "GBZ"),
    (0x00C1, "ECS15c", "Clear ALCS Event Log", "SME.C.NC", "3.3", "DLMS"),
    (0x00C2, "GCS40d", "Reset Credit Mode Meter Balance on the GSME", "SME.C.C", "1.5", "GBZ"),
    (0x00C3, "GCS15b", "Read GSME Billing Data Log (change of mode / tariff triggered)", "SME.C.NC", "4.4.2", "GBZ"),
    (0x00C4, "GCS15d", "Read GSME Billing Data Log (payment-based debt payments)", "SME.C.NC", "4.4.4", "GBZ"),
    (0x00C5, "GCS15e", "Read GSME Billing Data Log (prepayment credits)", "SME.C.NC", "4.4.5", "GBZ"),
    (0x00C6, "ECS26k", "Read ESME Configuration Voltage Data - 3 phase", "SME.C.NC", "6.2.1", "DLMS"),
    (0x00C7, "ECS01d", "Set Price on ESME secondary", "SME.C.C", "1.2.2", "DLMS"),
    (0x00C9, "ECS20d", "Read ESME Billing Data Log (prepayment credits)", "SME.C.NC", "4.4.5", "DLMS"),
    (0x00CA, "", "Future Dated Firmware Activation Alert", "SME.A.C", "", "DER"),
    (0x00CB, "", "Future Dated Update Security Credentials Alert", "SME.A.C", "", "DER"),
    (0x00CC, "", "Future Dated Execution Of Instruction Alert (DLMS COSEM)", "SME.A.C", "", "DLMS"),
    (0x00CD, "", "Future Dated Execution Of Instruction Alert (GBZ)", "SME.A.C", "", "GBZ"),
    (0x00CE, "", "Firmware Distribution Receipt Alert (ESME)", "SME.A.C", "", "DLMS"),
    (0x00CF, "", "Firmware Distribution Receipt Alert (GSME)", "SME.A.C", "", "GBZ"),
    (0x00D1, "ECS29c", "Set Voltage Configurations on ESME without counter reset", "SME.C.NC", "6.5", "DLMS"),
    (0x00D2, "ECS29d", "Set Voltage Configurations on polyphase ESME without counter reset", "SME.C.NC", "6.5", "DLMS"),
    (0x00D3, "ECS29e", "Reset RMS Voltage Counters on ESME", "SME.C.NC", "6.27", "DLMS"),
    (0x00D4, "ECS29f", "Reset RMS Voltage Counters on polyphase ESME", "SME.C.NC", "6.27", "DLMS"),
    (0x00D7, "ECS30a", "Set Billing Calendar on the ESME - all periodicities", "SME.C.C", "6.8", "DLMS"),
    (0x00D8, "GCS25a", "Set Billing Calendar on the GSME - all periodicities", "SME.C.C", "6.8", "GBZ"),
    (0x00D9, "ECS26l", "Read ESME Configuration Data Device Information (Billing Calendar - all periodicities)", "SME.C.NC", "6.2.3", "DLMS"),
    (0x00DA, "GCS21k", "Read GSME Configuration Data Device Information (BillingCalendar - all periodicities)", "SME.C.NC", "6.2.3", "GBZ"),
    (0x00DB, "ECS48", "Configure daily resetting of Tariff Block Counter Matrix", "SME.C.C", "6.26", "DLMS"),
    (0x00DE, "ECS08a", "Update Prepayment Configuration on ESME", "SME.C.C", "2.1", "DLMS"),
    (0x00EA, "ECS25a1", "Set Event Behaviours - ESME to HAN Device - Supplier", "SME.C.NC", "6.22", "DLMS"),
    (0x00EB, "ECS25a2", "Set Event Behaviours - ESME audible alarm - Supplier", "SME.C.NC", "6.22", "DLMS"),
    (0x00EC, "ECS25a3", "Set Event Behaviours - ESME logging - Supplier", "SME.C.NC", "6.22", "DLMS"),
    (0x00ED, "ECS25b3", "Set Event Behaviours - ESME logging - Network Operator", "SME.C.NC", "6.22", "DLMS"),
    (0x00EE, "ECS25r1", "Read non-critical event and alert behaviours - ESME - Supplier", "SME.C.NC", "6.2.10", "DLMS"),
    (0x00EF, "ECS25r2", "Read non-critical event and alert behaviours - ESME - Network Operator", "SME.C.NC", "6.2.10", "DLMS"),
    (0x00F0, "", "Meter Integrity Issue Warning Alert - ESME", "SME.A.NC", "", "DLMS"),
    (0x00F1, "GCS20r", "Read non-critical event and alert behaviours - GSME - Supplier", "SME.C.NC", "6.2.10", "GBZ"),
    (0x00F2, "", "Meter Integrity Issue Warning Alert - GSME", "SME.A.NC", "", "GBZ"),
    (0x00F9, "ECS26m", "Read ESME Configuration Data Device Information (identity,  type and supply tamper state)", "SME.C.NC", "6.2.4", "DLMS"),
    (0x00FA, "ECS26n", "Read CHF Configuration Data Device Information (CH identity and type)", "SME.C.NC", "6.2.4", "DLMS"),
    (0x00FB, "GCS21m", "Read GSME Configuration Data Device Information (identity, type and supply tamper / depletion state)", "SME.C.NC", "6.2.4", "GBZ"),
    (0x00FC, "GCS24a", "Set Uncontrolled Gas Flow Rate and Supply Tamper State on the GSME (SMETS4)", "SME.C.C", "6.7", "GBZ"),
    (0x00FD, "ECS35g", "Read ALCS Event Log", "SME.C.NC", "6.13", "DLMS"),
    (0x00FE, "CCS07", "Read CHF Device Logs", "SME.C.NC", "8.9", "DLMS"),
    (0x0102, "CS02b", "Update Security Credentials (supplierBySupplier)", "SME.C.C", "6.15.1/6.21", "DER"),
    (0x0103, "CS02b", "Update Security Credentials (networkOperatorByNetworkOperator)", "SME.C.C", "6.15.1/6.21", "DER"),
    (0x0104, "CS02b", "Update Security Credentials (accessControlBrokerByACB)", "SME.C.NC", "8.5", "DER"),
    (0x0105, "CS02b", "Update Security Credentials (wanProviderByWanProvider)", "SME.C.C", "", "DER"),
    (0x0106, "CS02b", "Update Security Credentials (transCoSByTransCoS)", "SME.C.C", "", "DER"),
    (0x0107, "CS02b", "Update Security Credentials (supplierByTransCoS)", "SME.C.C", "6.23", "DER"),
    (0x0108, "CS02b", "Update Security Credentials (anyExceptAbnormalRootByRecovery)", "SME.C.C", "", "DER"),
    (0x0109, "CS02b", "Update Security Credentials (anyByContingency)", "", "", "DER"),
    (0x010A, "DBCH01", "Read CHF Sub GHz Channel", "SME.C.NC", "6.31", "DLMS"),
    (0x010B, "DBCH02", "Read CHF Sub GHz Channel Log", "SME.C.NC", "6.32", "DLMS"),
    (0x010C, "DBCH03", "Read CHF Sub GHz Configuration", "SME.C.NC", "6.30", "DLMS"),
    (0x010D, "DBCH04", "Set CHF Sub GHz Configuration", "SME.C.NC", "6.28", "DLMS"),
    (0x010E, "DBCH05", "Request CHF Sub GHz Channel Scan", "SME.C.NC", "6.29", "DLMS"),
    (0x010F, "CCS06", "Read CHF device log and check HAN communications", "SME.C.NC", "8.9", "DLMS"),
    (0x0110, "DBCH06", "Limited Duty Cycle Action Taken Sub GHz Alert", "SME.A.NC", "", "DLMS"),
    (0x0111, "DBCH07", "Sub GHz Channel Changed Sub GHz Alert", "SME.A.NC", "", "DLMS"),
    (0x0112, "DBCH08", "Sub GHz Channel Scan Request Assessment Outcome Sub GHz Alert", "SME.A.NC", "", "DLMS"),
    (0x0113, "DBCH09", "Sub GHz Configuration Changed Sub GHz Alert", "SME.A.NC", "", "DLMS"),
    (0x0114, "DBCH10", "Message Discarded Due to Duty Cycle Management Sub GHz Alert", "SME.A.NC", "", "DLMS"),
    (0x0115, "DBCH11", "No More Sub GHz Device Capacity Sub GHz Alert", "SME.A.NC", "", "DLMS"),
    (0x0116, "PECS01", "Apply Prepayment Top Up to an ESME using PPMID", "", "", ""),
    (0x0117, "PECS02", "Activate Emergency Credit on ESME from PPMID", "", "", ""),
    (0x0118, "PECS03", "Request to Enable ESME Supply from PPMID", "", "", ""),
    (0x0119, "HECS01", "Request control of HCALCS", "", "", ""),
    (0x011A, "ECS46d", "", "SME.C.C", "6.14.3", "DLMS"),
    (0x011B, "CS02f", "", "SME.C.C / SME.C.NC", "6.24.1", "DER"),
    (0x011C, "ECS61d", "", "SME.C.NC", "7.14", "DLMS"),
    (0x011D, "ECS61e", "", "SME.C.NC", "7.15", "DLMS"),
    (0x011E, "ECS47a", "", "SME.C.C", "7.13", "DLMS"),
    (0x011F, "ECS47e", "", "SME.C.C", "7.16", "DLMS"),
    (0x0120, "ECS100", "", "SME.A.C", "", "DLMS"),
    (0x0121, "ECS101", "", "SME.A.C", "", "DLMS"),
    (0x0122, "ECS102", "", "SME.A.C", "", "DLMS"),
    (0x0123, "ECS200", "", "SME.A.C", "", "DLMS"),
    (0x0124, "CS02g", "", "SME.A.C", "", "DER"),
    (0x0125, "CS02g", "", "SME.C.C", "", "DER"),
    (0x0126, "CS02g", "", "SME.C.C", "6.15.1", "DER"),
    (0x0128, "CCS08", "Firmware Transfer Alert", "SME.A.C", "", "DER"),
    (0x0129, "CS08", "Read PPMID/HCALCS Firmware Version", "SME.C.NC", "11.2", "DER"),
    (0x012A, "GCS60a", "", "SME.C.NC", "4.18", "GBZ"),
    (0x012B, "CS09", "PPMID Firmware Activation Alert", "SME.A.C", "", "DER"),
    (0x1000, "", "Generic Critical Alert", "SME.A.C", "", "DLMS/GBZ"),
    (0x1001, "", "Generic Non Critical Alert", "SME.A.NC", "", "DLMS/GBZ"),

)

MESSAGES: dict[int, MessageInfo] = {row[0]: MessageInfo(*row) for row in _MESSAGES}

# §2.7 refines a few message types beyond what RTDS signatures show.
_TYPE_NOTES = {
    0x0007: "SME.C.NC + UTRN (GBCS 14.3.4/14.3.5)",
    0x0097: "SME.C.NC + UTRN (GBCS 14.3.4/14.3.5)",
    0x00AB: "SME.C.C (RTDS also has a DCC-originated variant to the PPMID)",
    0x00AF: "SME.C.C (critical to the GSME; DCC-originated variant to the PPMID)",
    0x0116: "ZSE, event-log code only",
    0x0117: "ZSE, event-log code only",
    0x0118: "ZSE, event-log code only",
    0x0119: "ZSE",
}
for _code, _note in _TYPE_NOTES.items():
    _m = MESSAGES[_code]
    MESSAGES[_code] = MessageInfo(_m.code, _m.use_case, _m.title, _note, _m.service_request, _m.payload)


# (code, name, source). Names in DOMAIN.md §2.7 wording; the rest named after the RTDS use case
# whose alert carries the code (its GBCS alert title is not in our sources).
_ALERTS: tuple[tuple[int, str, str], ...] = (
    (0x8071, "GPF device log changed", "DOMAIN §2.7"),
    (0x810D, "Combined credit below low credit threshold (prepayment mode)", "DOMAIN §2.7"),
    (0x810E, "Credit added locally", "DOMAIN §2.7"),
    (0x8119, "Emergency credit has become available", "DOMAIN §2.7"),
    (0x8154, "Immediate HAN interface command successfully actioned", "DOMAIN §2.7"),
    (0x8155, "Immediate HAN interface command not successfully actioned", "DOMAIN §2.7"),
    (0x8161, "User interface command input successfully actioned", "DOMAIN §2.7"),
    (0x8162, "User interface command input not successfully actioned", "DOMAIN §2.7"),
    (0x8168, "Supply disabled then armed - activate emergency credit triggered", "DOMAIN §2.7"),
    (0x8183, "Device joined SMHAN", "DOMAIN §2.7"),
    (0x81A0, "Meter integrity issue warning", "RTDS MIIWA-DLMS / MIIWA-ZigBee"),
    (0x81A6, "Customer acknowledged message on HAN device", "DOMAIN §2.7"),
    (0x81AA, "Emergency credit exhausted", "DOMAIN §2.7"),
    (0x81AB, "Emergency credit activated", "DOMAIN §2.7"),
    (0x81C4, "UTRN manual entry suspended", "DOMAIN §2.7"),
    (0x81C5, "UTRN rejected as locked out", "DOMAIN §2.7"),
    (0x8F0A, "Billing data log (ESME critical sensitive alert / GSME push billing data log)", "RTDS ECS68 / GCS53"),
    (0x8F0F, "Credit below disablement threshold", "DOMAIN §2.7"),
    (0x8F12, "CHF device log changed", "DOMAIN §2.7"),
    (0x8F1E, "Integrity check of content or format of command failed", "DOMAIN §2.7"),
    (0x8F20, "Limited duty cycle action taken (Sub GHz)", "RTDS DBCH06"),
    (0x8F26, "Sub GHz channel changed", "RTDS DBCH07"),
    (0x8F28, "Sub GHz channel scan request assessment outcome", "RTDS DBCH08"),
    (0x8F2A, "Sub GHz configuration changed", "RTDS DBCH09"),
    (0x8F2C, "Message discarded due to duty cycle management (Sub GHz)", "RTDS DBCH10"),
    (0x8F2D, "No more Sub GHz device capacity", "RTDS DBCH11"),
    (0x8F30, "Source does not have authority for command", "DOMAIN §2.7"),
    (0x8F32, "Supply armed", "DOMAIN §2.7"),
    (0x8F36, "Supply outage restored", "RTDS ECS80"),
    (0x8F3D, "Trusted source authentication failure", "DOMAIN §2.7"),
    (0x8F47, "Credit would cause meter balance to exceed maximum meter balance threshold", "DOMAIN §2.7"),
    (0x8F48, "Device joining failed", "DOMAIN §2.7"),
    (0x8F49, "Device joining succeeded", "DOMAIN §2.7"),
    (0x8F4A, "Device unjoining failed", "DOMAIN §2.7"),
    (0x8F4B, "Device unjoining succeeded", "DOMAIN §2.7"),
    (0x8F51, "Duplicate UTRN entered", "DOMAIN §2.7"),
    (0x8F5B, "UTRN exceeds maximum credit threshold", "DOMAIN §2.7"),
    (0x8F63, "UTRN not authentic", "DOMAIN §2.7"),
    (0x8F64, "UTRN not for this device", "DOMAIN §2.7"),
    (0x8F66, "Future-dated command successfully actioned", "DOMAIN §2.7"),
    (0x8F67, "Future-dated command not successfully actioned", "DOMAIN §2.7"),
    (0x8F72, "Firmware distribution receipt", "RTDS FDRA-DLMS / FDRA-ZigBee"),
    (0x8F84, "Failure to deliver remote party message to ESME", "DOMAIN §2.7"),
    (0x8F85, "ECS100 alert (GBCS title not in our sources)", "RTDS ECS100"),
    (0x8F86, "ECS101 alert (GBCS title not in our sources)", "RTDS ECS101"),
    (0x8F87, "ECS102 alert (GBCS title not in our sources)", "RTDS ECS102"),
    (0x8F88, "ECS200 alert (GBCS title not in our sources)", "RTDS ECS200"),
    (0x8F8A, "Firmware transfer alert (CCS08)", "RTDS CCS08"),
    (0x8F8B, "PPMID firmware activation (CS09)", "DOMAIN §2.7"),
)

ALERTS: dict[int, AlertInfo] = {row[0]: AlertInfo(*row) for row in _ALERTS}


def message_info(code: int) -> MessageInfo | None:
    """The table row for a GBCS message code, or None when the code is not in the tables."""
    return MESSAGES.get(code)


def message_name(code: int) -> str:
    """``0x0007 CS01a Apply Prepayment Top Up to an ESME``; ``0xNNNN unknown`` when not in the tables."""
    info = MESSAGES.get(code)
    return info.name if info else f"0x{code:04X} unknown"


def alert_info(code: int) -> AlertInfo | None:
    return ALERTS.get(code)


def alert_name(code: int) -> str:
    """``0x8F12 CHF device log changed``; ``0xNNNN unknown`` when not in the tables."""
    info = ALERTS.get(code)
    return info.label if info else f"0x{code:04X} unknown"


# -- join service enums (DOMAIN.md §3.5) -----------------------------------------------------------

class JoinMethodRole(IntEnum):
    """CS03 joinMethodAndRole."""

    METHOD_A_INITIATOR = 0
    METHOD_A_RESPONDER = 1
    METHOD_B = 2
    METHOD_C = 3

    @property
    def title(self) -> str:
        return ("Method A initiator", "Method A responder", "Method B", "Method C")[self.value]


class DeviceType(IntEnum):
    """CS03 otherDeviceType (also the device type in CS07 join details)."""

    GSME = 0
    ESME = 1
    CHF = 2
    GPF = 3
    HCALCS = 4
    PPMID = 5
    TYPE_2 = 6

    @property
    def title(self) -> str:
        return "Type 2" if self is DeviceType.TYPE_2 else self.name


class JoinResponse(IntEnum):
    """CS03 response INTEGER."""

    SUCCESS = 0
    INVALID_MESSAGE_CODE_FOR_JOIN_METHOD_AND_ROLE = 1
    INVALID_JOIN_METHOD_AND_ROLE = 2
    INCOMPATIBLE_WITH_EXISTING_ENTRY = 3
    DEVICE_LOG_FULL = 4
    WRITE_FAILURE = 5
    KE_NO_RESOURCES = 6
    KE_UNKNOWN_ISSUER = 7
    KE_UNSUPPORTED_SUITE = 8
    KE_BAD_MESSAGE = 9
    KE_BAD_KEY_CONFIRM = 10
    INVALID_OR_MISSING_CERTIFICATE = 11
    NO_PARTNER_LINK_KEY_RECEIVED = 12
    NO_CBKE_RESPONSE = 13

    @property
    def title(self) -> str:
        return _JOIN_RESPONSE_TITLES[self.value]


_JOIN_RESPONSE_TITLES = (
    "success", "invalid message code for join method and role", "invalid join method and role",
    "incompatible with existing entry", "device log full", "write failure",
    "key establishment: no resources", "key establishment: unknown issuer",
    "key establishment: unsupported suite", "key establishment: bad message",
    "key establishment: bad key confirm", "invalid or missing certificate",
    "no partner link key received", "no CBKE response",
)


class UnjoinResponse(IntEnum):
    """CS04 response INTEGER."""

    SUCCESS = 0
    NOT_IN_DEVICE_LOG = 1
    OTHER_FAILURE = 2

    @property
    def title(self) -> str:
        return self.name.lower().replace("_", " ")


# -- ZCL Prepayment cluster enums (DOMAIN.md §1.7) ---------------------------------------------------

class TopUpResult(IntEnum):
    """ZCL Consumer Top Up Response result type (ZSE Table D-154)."""

    ACCEPTED = 0x00
    REJECTED_INVALID_TOP_UP = 0x01
    REJECTED_DUPLICATE_TOP_UP = 0x02
    REJECTED_ERROR = 0x03
    REJECTED_MAX_CREDIT_REACHED = 0x04
    REJECTED_KEYPAD_LOCK = 0x05
    REJECTED_TOP_UP_VALUE_TOO_LARGE = 0x06
    ACCEPTED_SUPPLY_ENABLED = 0x10
    ACCEPTED_SUPPLY_DISABLED = 0x11
    ACCEPTED_SUPPLY_ARMED = 0x12

    @property
    def title(self) -> str:
        """The ZSE wording, e.g. ``Rejected-Duplicate Top Up``."""
        return _TOP_UP_RESULT_TITLES[self.value]


_TOP_UP_RESULT_TITLES = {
    0x00: "Accepted", 0x01: "Rejected-Invalid Top Up", 0x02: "Rejected-Duplicate Top Up",
    0x03: "Rejected-Error", 0x04: "Rejected-Max Credit Reached", 0x05: "Rejected-Keypad Lock",
    0x06: "Rejected-Top Up Value Too Large", 0x10: "Accepted-Supply Enabled",
    0x11: "Accepted-Supply Disabled", 0x12: "Accepted-Supply Armed",
}


class OriginatingDevice(IntEnum):
    """ZCL originating device (Consumer Top Up, Select Available Emergency Credit)."""

    ENERGY_SERVICE_INTERFACE = 0
    METER = 1
    IN_HOME_DISPLAY_DEVICE = 2

    @property
    def title(self) -> str:
        return ("Energy Service Interface", "Meter", "In-Home Display Device")[self.value]

"""A corpus of bad inputs across every command: each gets its exit code and ONE line on stderr (issue 7).

Each case is (id, argv, expected exit code, words the line must contain). The words are what the house
rule asks of a message, written from the case itself (the flag or field, the bad value, or what is
allowed), not copied from the code's output. Exit 2 is bad input; exit 1 a verification that ran and
failed. Every case runs in-process through ``smetslab.interfaces.cli.main`` (fast); a few also run in a
real subprocess, where the signal handlers, the console entry point and DuckDB's file lock are real.

Placeholders in argv: {t} a scratch folder, {ks} a seeded test keystore, {db} a finished results file,
{ex} the repository's examples/ folder, {file} an existing text file, {dir} an empty folder.
"""

from __future__ import annotations

import errno
import io
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from smetslab.interfaces.cli import main

ROOT = Path(__file__).resolve().parents[2]
SUPPLIER, ESME = "90B3D51F30010000", "00DB1234567890A0"
UTRN_BAD_CHECK = "12345678910121314156"  # check digit 0 by the Luhn-style rule of DOMAIN.md §1.6, not 6
HUGE = "7" * 100_000

Case = tuple[str, list[str], int, list[str]]


def _scenario(body: str) -> str:
    return textwrap.dedent(body)


# scenario files: name -> YAML text (each with exactly one thing wrong)
SCENARIOS: dict[str, str] = {
    "list": "- a\n- b\n",
    "empty": "",
    "broken": "name: x\npremises: {value: 10, source: [unclosed\n",
    "tab": "name: x\n\tpremises: 3\n",
    "unknown-field": "extends: gb-default\npremisses: 100\n",
    "unknown-param": "extends: gb-default\nincidents:\n  wan_lost_per_yr: {value: 0.1}\n",
    "unknown-group": "extends: gb-default\nincidentz: {}\n",
    "premises-text": "extends: gb-default\npremises: many\n",
    "premises-zero": "extends: gb-default\npremises: 0\n",
    "premises-huge": "extends: gb-default\npremises: 1000000000000\n",
    "premises-float": "extends: gb-default\npremises: 2.5\n",
    "replicates-zero": "extends: gb-default\nreplicates: 0\n",
    "seed-negative": "extends: gb-default\nseed: -1\n",
    "horizon-zero": "extends: gb-default\nhorizon_days: 0\n",
    "horizon-inf": "extends: gb-default\nhorizon_days: .inf\n",
    "name-empty": "extends: gb-default\nname: ''\n",
    "options-empty": "extends: gb-default\noptions: []\n",
    "options-no-baseline": "extends: gb-default\noptions: [secmp0037]\n",
    "options-unknown": "extends: gb-default\noptions: [baseline, secmp0099]\n",
    "options-twice": "extends: gb-default\noptions: [baseline, secmp0037, secmp0037]\n",
    "options-not-list": "extends: gb-default\noptions: baseline\n",
    "value-negative": "extends: gb-default\nincidents:\n  wan_lost_per_year: {value: -0.5}\n",
    "value-string": "extends: gb-default\nincidents:\n  wan_lost_per_year: {value: '0.5'}\n",
    "value-nan": "extends: gb-default\nincidents:\n  wan_lost_per_year: {value: .nan}\n",
    "value-bool": "extends: gb-default\nincidents:\n  wan_lost_per_year: {value: true}\n",
    "probability-above-1": "extends: gb-default\ncustomer:\n  meter_keypad_reachable_prob: {value: 1.5}\n",
    "source-blank": "extends: gb-default\nincidents:\n  wan_lost_per_year: {value: 0.1, source: '  '}\n",
    "param-extra-key": "extends: gb-default\nincidents:\n  wan_lost_per_year: {value: 0.1, unit: x}\n",
    "pence-float": "extends: gb-default\ncosts:\n  secmp0032_national: {value: 1.5}\n",
    "regions": "extends: gb-default\nregion:\n  north_share: {value: 0.9}\n",
    "sweep-unknown-param": "extends: gb-default\nsensitivity:\n  - {param: incidents.nope, low: 0, high: 1}\n",
    "sweep-low-above-high": "extends: gb-default\nsensitivity:\n"
                            "  - {param: incidents.wan_lost_per_year, low: 0.2, high: 0.05}\n",
    "sweep-high-out-of-range": "extends: gb-default\nsensitivity:\n"
                               "  - {param: customer.meter_keypad_reachable_prob, low: 0.5, high: 2.0}\n",
    "sweep-low-out-of-range": "extends: gb-default\nsensitivity:\n"
                              "  - {param: incidents.wan_lost_per_year, low: -1, high: 0.5}\n",
    "sweep-second-bad": "extends: gb-default\nsensitivity:\n"
                        "  - {param: incidents.wan_lost_per_year, low: 0.01, high: 0.05}\n"
                        "  - {param: remedy.dcc_mean_days, low: 90.0, high: 15.0}\n",
    "sweep-missing-high": "extends: gb-default\nsensitivity:\n  - {param: incidents.wan_lost_per_year, low: 0.01}\n",
    "sweep-extra": "extends: gb-default\nsensitivity:\n"
                   "  - {param: incidents.wan_lost_per_year, low: 0.01, high: 0.1, step: 2}\n",
    "sweep-string": "extends: gb-default\nsensitivity:\n"
                    "  - {param: incidents.wan_lost_per_year, low: low, high: 0.1}\n",
    "extends-unknown": "extends: gb-nowhere\n",
    "extends-number": "extends: 5\n",
    "extends-self": "extends: extends-self.yaml\n",
}


def _cases() -> list[Case]:
    c: list[Case] = []

    def add(case_id: str, argv: list[str], code: int, *words: str) -> None:
        c.append((case_id, argv, code, list(words)))

    # -- the root and its groups
    add("root-unknown-command", ["nosuchcmd"], 2, "nosuchcmd")
    add("root-unknown-option", ["--nosuch"], 2, "--nosuch")
    for group in ("utrn", "gbcs", "keys", "zigbee", "results", "premises"):
        add(f"{group}-unknown-subcommand", [group, "nosuch"], 2, "nosuch")
    add("utrn-decode-unknown-option", ["utrn", "decode", "--nosuch", "1"], 2, "--nosuch")

    # -- utrn decode
    for case_id, code_text, words in (
        ("empty", "", ["UTRN"]), ("short", "1234", ["20"]), ("long-21", "1" * 21, ["20"]),
        ("letters", "7394ABCD332040217315", ["UTRN"]), ("check-digit", UTRN_BAD_CHECK, ["check digit"]),
        ("x-last", "7394-6144-3320-4021-731X", ["UTRN"]), ("arabic-digits", "٧٣٩٤٦١٤٤٣٣٢٠٤٠٢١٧٣١٥", ["UTRN"]),
        ("spaces-only", "    ", ["UTRN"]), ("21-in-groups", "7394 6144 3320 4021 73150", ["20"]),
        ("negative", "-7394614433204021731", ["UTRN"]), ("huge", HUGE, ["characters"]),
        ("punctuation", "7394.6144.3320.4021.7315", ["UTRN"]),
    ):
        add(f"utrn-decode-{case_id}", ["utrn", "decode", "--", code_text], 2, *words)
    add("utrn-decode-missing", ["utrn", "decode"], 2, "utrn decode", "Missing argument")

    # -- utrn verify
    good = ["--supplier", SUPPLIER, "--meter", ESME, "--keystore", "{ks}"]
    add("utrn-verify-missing-supplier", ["utrn", "verify", "{utrn}", "--meter", ESME, "--keystore", "{ks}"], 2,
        "--supplier")
    add("utrn-verify-bad-supplier", ["utrn", "verify", "{utrn}", "--supplier", "XYZ", "--meter", ESME,
                                     "--keystore", "{ks}"], 2, "--supplier", "XYZ")
    add("utrn-verify-short-supplier", ["utrn", "verify", "{utrn}", "--supplier", SUPPLIER[:-1], "--meter", ESME,
                                       "--keystore", "{ks}"], 2, "--supplier")
    add("utrn-verify-bad-meter", ["utrn", "verify", "{utrn}", "--supplier", SUPPLIER, "--meter", "00DB12345678",
                                  "--keystore", "{ks}"], 2, "--meter")
    add("utrn-verify-no-keystore", ["utrn", "verify", "{utrn}", "--supplier", SUPPLIER, "--meter", ESME,
                                    "--keystore", "{t}/nowhere"], 2, "keystore", "nowhere")
    add("utrn-verify-keystore-file", ["utrn", "verify", "{utrn}", *good[:4], "--keystore", "{file}"], 2, "keystore")
    add("utrn-verify-keystore-empty", ["utrn", "verify", "{utrn}", *good[:4], "--keystore", "{dir}"], 2,
        "no key files")
    add("utrn-verify-policy", ["utrn", "verify", "{utrn}", *good, "--policy", "guess"], 2, "--policy", "guess",
        "low32_zero")
    add("utrn-verify-counter-text", ["utrn", "verify", "{utrn}", *good, "--counter", "abc"], 2, "--counter", "abc")
    add("utrn-verify-counter-65-bits", ["utrn", "verify", "{utrn}", *good, "--counter", str(1 << 64)], 2,
        "--counter", "range")
    add("utrn-verify-highest-text", ["utrn", "verify", "{utrn}", *good, "--policy", "track_high_bits",
                                     "--highest-accepted", "x"], 2, "--highest-accepted")
    add("utrn-verify-bad-code", ["utrn", "verify", UTRN_BAD_CHECK, *good], 2, "check digit")
    add("utrn-verify-huge-code", ["utrn", "verify", HUGE, *good], 2, "characters")
    add("utrn-verify-wrong-meter", ["utrn", "verify", "{utrn}", "--supplier", SUPPLIER, "--meter",
                                    "00DB1234567890A1", "--keystore", "{ks}"], 1, "not authentic")
    add("utrn-verify-wrong-counter", ["utrn", "verify", "{utrn}", *good, "--counter", "0x200000000"], 1,
        "not authentic")
    add("utrn-verify-unknown-supplier", ["utrn", "verify", "{utrn}", "--supplier", "90B3D51F3001FFFF", "--meter",
                                         ESME, "--keystore", "{ks}"], 2, "90B3D51F3001FFFF")

    # -- utrn issue
    issue = ["utrn", "issue", "--keystore", "{ks}", "--supplier", SUPPLIER, "--meter", ESME]
    add("utrn-issue-missing-all", ["utrn", "issue", "--keystore", "{ks}"], 2, "--supplier", "--meter")
    add("utrn-issue-missing-counter", [*issue, "--value", "1"], 2, "--counter")
    add("utrn-issue-missing-keystore", [*issue[:2], *issue[4:], "--counter", "0x100000000", "--value", "1"], 2,
        "--keystore")
    add("utrn-issue-value-negative", [*issue, "--counter", "0x100000000", "--value", "-1"], 2, "value", "-1")
    add("utrn-issue-value-8192", [*issue, "--counter", "0x100000000", "--value", "8192"], 2, "8192", "8191")
    add("utrn-issue-value-text", [*issue, "--counter", "0x100000000", "--value", "ten"], 2, "--value")
    add("utrn-issue-class", [*issue, "--counter", "0x100000000", "--value", "1", "--class", "dollars"], 2,
        "dollars", "pennies")
    add("utrn-issue-counter-5", [*issue, "--counter", "5", "--value", "1"], 2, "--counter", "0x5", "32 bits")
    add("utrn-issue-counter-low-bits", [*issue, "--counter", "0x100000001", "--value", "1"], 2, "--counter")
    add("utrn-issue-counter-2-42", [*issue, "--counter", hex(1 << 42), "--value", "1"], 2, "--counter", "2^42",
        "track_high_bits")
    add("utrn-issue-counter-negative", [*issue, "--counter", "-1", "--value", "1"], 2, "--counter")
    add("utrn-issue-counter-float", [*issue, "--counter", "1e5", "--value", "1"], 2, "--counter", "1e5")
    add("utrn-issue-counter-65-bits", [*issue, "--counter", hex(1 << 64), "--value", "1"], 2, "--counter")
    add("utrn-issue-policy", [*issue, "--counter", "0x100000000", "--value", "1", "--policy", "x"], 2, "--policy")
    add("utrn-issue-bad-supplier", ["utrn", "issue", "--keystore", "{ks}", "--supplier", "nope", "--meter", ESME,
                                    "--counter", "0x100000000", "--value", "1"], 2, "--supplier", "nope")
    add("utrn-issue-bad-meter", ["utrn", "issue", "--keystore", "{ks}", "--supplier", SUPPLIER, "--meter", "",
                                 "--counter", "0x100000000", "--value", "1"], 2, "--meter")
    add("utrn-issue-keystore-missing", ["utrn", "issue", "--keystore", "{t}/nowhere", "--supplier", SUPPLIER,
                                        "--meter", ESME, "--counter", "0x100000000", "--value", "1"], 2, "nowhere")
    add("utrn-issue-unknown-supplier", ["utrn", "issue", "--keystore", "{ks}", "--supplier", "90B3D51F3001FFFF",
                                        "--meter", ESME, "--counter", "0x100000000", "--value", "1"], 2,
        "90B3D51F3001FFFF")
    add("utrn-issue-jsonl-with-flags", ["utrn", "issue", "--jsonl", "--keystore", "{ks}", "--supplier", SUPPLIER],
        2, "--jsonl", "--supplier")
    add("utrn-issue-jsonl-bad-json", ["utrn", "issue", "--jsonl", "--keystore", "{ks}", "<stdin:not json\n"], 2,
        "line 1")
    add("utrn-issue-jsonl-bad-counter", ["utrn", "issue", "--jsonl", "--keystore", "{ks}",
                                         "<stdin:" + json.dumps({"supplier": SUPPLIER, "meter": ESME, "counter": 5,
                                                                 "value": 1}) + "\n"], 2, "line 1")
    add("utrn-issue-jsonl-array", ["utrn", "issue", "--jsonl", "--keystore", "{ks}", "<stdin:[1, 2]\n"], 2, "line 1")

    # -- gbcs parse / verify / sign
    for case_id, text, words in (
        ("not-hex", "zz", []), ("empty", "", []), ("odd", "ABC", []), ("truncated", "DD00", []),
        ("unknown-frame", "00" * 40, ["offset"]), ("huge", "Z" * 100_000, ["hex digit"]),
    ):
        add(f"gbcs-parse-{case_id}", ["gbcs", "parse", "--", text], 2, *words)
    add("gbcs-parse-missing-file", ["gbcs", "parse", "{t}/nofile.hex"], 2, "nofile.hex")
    add("gbcs-parse-garbage-file", ["gbcs", "parse", "{t}/garbage.hex"], 2)
    add("gbcs-parse-binary-file", ["gbcs", "parse", "{t}/binary.dat"], 2)
    add("gbcs-parse-folder", ["gbcs", "parse", "{dir}"], 2)
    add("gbcs-parse-bad-keystore", ["gbcs", "parse", "{precommand}", "--keystore", "{t}/nowhere"], 2, "nowhere")
    add("gbcs-parse-bad-acb", ["gbcs", "parse", "{precommand}", "--keystore", "{ks}", "--acb", "XYZ"], 2, "--acb")
    add("gbcs-verify-missing-path", ["gbcs", "verify", "{t}/nowhere", "--keystore", "{ks}"], 2, "nowhere")
    add("gbcs-verify-no-keystore", ["gbcs", "verify", "{dir}"], 2, "--keystore")
    add("gbcs-verify-bad-keystore", ["gbcs", "verify", "{dir}", "--keystore", "{file}"], 2, "keystore")
    add("gbcs-verify-bad-acb", ["gbcs", "verify", "{dir}", "--keystore", "{ks}", "--acb", "12"], 2, "--acb")
    add("gbcs-sign-not-hex", ["gbcs", "sign", "zz", "--keystore", "{ks}"], 2)
    add("gbcs-sign-empty", ["gbcs", "sign", "", "--keystore", "{ks}"], 2)
    add("gbcs-sign-truncated", ["gbcs", "sign", "DF09", "--keystore", "{ks}"], 2)
    add("gbcs-sign-no-keystore", ["gbcs", "sign", "{precommand}"], 2, "--keystore")
    add("gbcs-sign-bad-keystore", ["gbcs", "sign", "{precommand}", "--keystore", "{t}/nowhere"], 2, "nowhere")
    add("gbcs-sign-bad-signer", ["gbcs", "sign", "{precommand}", "--keystore", "{ks}", "--signer", "Q"], 2,
        "--signer")
    add("gbcs-sign-unknown-signer", ["gbcs", "sign", "{precommand}", "--keystore", "{ks}", "--signer",
                                     "90B3D51F3001FFFF"], 2, "90B3D51F3001FFFF")
    add("gbcs-sign-missing-file", ["gbcs", "sign", "{t}/nofile.hex", "--keystore", "{ks}"], 2, "nofile.hex")
    add("gbcs-sign-bad-acb", ["gbcs", "sign", "{precommand}", "--keystore", "{ks}", "--mac", "--acb", "x"], 2,
        "--acb")

    # -- keys
    add("keys-generate-eui-format", ["keys", "generate", "{t}/k1", "--eui", "esme"], 2, "--eui", "ENTITY=EUI")
    add("keys-generate-eui-entity", ["keys", "generate", "{t}/k2", "--eui", "toaster=00DB1234567890A0"], 2,
        "toaster")
    add("keys-generate-eui-value", ["keys", "generate", "{t}/k3", "--eui", "esme=XYZ"], 2, "XYZ")
    add("keys-generate-seed-text", ["keys", "generate", "{t}/k4", "--seed", "abc"], 2, "--seed")
    add("keys-generate-into-file", ["keys", "generate", "{file}"], 2, "not a directory")
    add("keys-generate-existing", ["keys", "generate", "{ks}"], 2, "--force")
    add("keys-generate-under-file", ["keys", "generate", "{file}/sub"], 2)
    add("keys-generate-proc", ["keys", "generate", "/proc/smetslab-keys"], 2, "/proc/smetslab-keys")
    add("keys-list-missing", ["keys", "list", "{t}/nowhere"], 2, "nowhere")
    add("keys-list-file", ["keys", "list", "{file}"], 2, "not a directory")
    add("keys-list-empty", ["keys", "list", "{dir}"], 2, "no key files")
    add("keys-list-corrupt-private", ["keys", "list", "{t}/corrupt-key"], 2, "-pp-ka.key")
    add("keys-list-corrupt-public", ["keys", "list", "{t}/corrupt-pem"], 2, "-ds.pem")
    add("keys-list-mismatched-pair", ["keys", "list", "{t}/mismatched"], 2, "pair")

    # -- zigbee
    for case_id, text, words in (
        ("not-hex", "ZZ", []), ("empty", "", []), ("odd", "83FED3407A939723A5C639B26916D50", []),
        ("five-bytes", "0011223344", []), ("bad-crc", "83FED3407A939723A5C639B26916D505FFFF", ["CRC"]),
        ("twenty-bytes", "00" * 20, []), ("huge", "0" * 100_000, ["characters"]),
        ("unicode", "８３FED3407A939723A5C639B26916D505", []),
    ):
        add(f"zigbee-{case_id}", ["zigbee", "link-key", "--", text], 2, *words)
    add("zigbee-with-crc-too-short", ["zigbee", "link-key", "--with-crc", "83FED3407A93"], 2)
    add("zigbee-missing", ["zigbee", "link-key"], 2)

    # -- compare: the scenario file
    for name in SCENARIOS:
        add(f"compare-scenario-{name}", ["compare", f"{{t}}/scenarios/{name}.yaml", "--out", f"{{t}}/out-{name}"],
            2, *_SCENARIO_WORDS.get(name, [name.split("-")[0]]))
    add("compare-scenario-missing", ["compare", "{t}/nope.yaml"], 2, "nope.yaml", "gb-default", "gb-national")
    add("compare-scenario-builtin-typo", ["compare", "gb-nowhere"], 2, "gb-nowhere", "gb-default", "gb-national")
    add("compare-scenario-folder", ["compare", "{dir}"], 2, "directory")
    add("compare-scenario-binary", ["compare", "{t}/binary.dat"], 2, "UTF-8")
    # -- compare: flags
    add("compare-workers-0", ["compare", "--workers", "0"], 2, "--workers")
    add("compare-workers-text", ["compare", "--workers", "two"], 2, "--workers")
    add("compare-scheduler-bogus", ["compare", "--scheduler", "bogus"], 2, "--scheduler", "bogus", "tcp://")
    add("compare-scheduler-port", ["compare", "--scheduler", "tcp://host:99999"], 2, "--scheduler")
    add("compare-scheduler-empty", ["compare", "--scheduler", ""], 2, "--scheduler")
    add("compare-scheduler-http", ["compare", "--scheduler", "http://host:8786"], 2, "--scheduler")
    add("compare-scheduler-huge", ["compare", "--scheduler", "tcp://" + "h" * 5000], 2, "--scheduler")
    add("compare-rank-by", ["compare", "--rank-by", "happiness"], 2, "--rank-by", "happiness", "no_route_days")
    add("compare-unknown-flag", ["compare", "--no-such-flag"], 2, "--no-such-flag")
    small = "{ex}/my.yaml"
    add("compare-out-file", ["compare", small, "--out", "{file}"], 2, "--out", "file")
    add("compare-out-under-file", ["compare", small, "--out", "{file}/sub"], 2, "--out", "is a file")
    add("compare-out-proc", ["compare", small, "--out", "/proc/smetslab-x"], 2, "--out", "/proc/smetslab-x")
    add("compare-out-foreign-folder", ["compare", small, "--out", "{t}/foreign"], 2, "--out", "non-empty")
    add("compare-out-report-only", ["compare", small, "--out", "{t}/report-only"], 2, "--out", "report.html")
    add("compare-out-other-scenario", ["compare", small, "--out", "{t}/other-run"], 2, "--out", "another scenario")
    add("compare-out-corrupt-results", ["compare", small, "--out", "{t}/corrupt-run"], 2, "results file")

    # -- results
    for sub in ("export", "show", "report"):
        extra = ["--format", "csv"] if sub == "export" else []
        add(f"results-{sub}-missing-db", ["results", sub, "{t}/nope.duckdb", *extra], 2, "nope.duckdb")
        add(f"results-{sub}-db-folder", ["results", sub, "{dir}", *extra], 2, "folder")
        add(f"results-{sub}-db-garbage", ["results", sub, "{file}", *extra], 2, "results file")
        add(f"results-{sub}-db-unfinished", ["results", sub, "{t}/unfinished.duckdb", *extra], 2, "running",
            "finished")
    add("results-export-format", ["results", "export", "{db}", "--format", "xlsx"], 2, "--format", "xlsx", "parquet")
    add("results-export-no-format", ["results", "export", "{db}"], 2, "--format")
    add("results-export-out-file", ["results", "export", "{db}", "--format", "csv", "--out", "{file}"], 2, "--out")
    add("results-export-out-proc", ["results", "export", "{db}", "--format", "csv", "--out", "/proc/smetslab-x"], 2,
        "--out")
    add("results-export-out-under-file", ["results", "export", "{db}", "--format", "csv", "--out", "{file}/x"], 2,
        "--out", "is a file")
    add("results-show-rank-by", ["results", "show", "{db}", "--rank-by", "joy"], 2, "--rank-by", "joy")
    add("results-report-rank-by", ["results", "report", "{db}", "--rank-by", "joy"], 2, "--rank-by", "joy")
    add("results-report-out-proc", ["results", "report", "{db}", "--out", "/proc/x.html"], 2, "--out",
        "/proc/x.html")
    add("results-report-out-device", ["results", "report", "{db}", "--out", "/dev/full"], 2, "--out", "/dev/full")
    add("results-report-out-folder", ["results", "report", "{db}", "--out", "{dir}"], 2, "--out", "folder")
    add("results-report-out-under-file", ["results", "report", "{db}", "--out", "{file}/r.html"], 2, "--out")

    # -- premises run
    story = "{ex}/stories/wan-lost-ppmid-paired.yaml"
    add("premises-story-missing", ["premises", "run", "{t}/nope.yaml"], 2, "nope.yaml")
    add("premises-story-folder", ["premises", "run", "{dir}"], 2)
    add("premises-story-binary", ["premises", "run", "{t}/binary.dat"], 2)
    add("premises-story-empty", ["premises", "run", "{t}/empty.txt"], 2)
    add("premises-story-broken", ["premises", "run", "{t}/scenarios/broken.yaml"], 2)
    add("premises-story-list", ["premises", "run", "{t}/scenarios/list.yaml"], 2)
    add("premises-story-unknown-field", ["premises", "run", "{t}/story-extra.yaml"], 2, "colour")
    add("premises-commit-without-db", ["premises", "run", story, "--commit-logged-only"], 2, "--commit-logged-only",
        "--db")
    add("premises-events-folder", ["premises", "run", story, "--events", "{dir}"], 2, "--events")
    add("premises-events-proc", ["premises", "run", story, "--events", "/proc/smetslab-x/e.jsonl"], 2, "--events")
    add("premises-events-under-file", ["premises", "run", story, "--events", "{file}/e.jsonl"], 2, "--events")
    add("premises-events-disk-full", ["premises", "run", story, "--events", "/dev/full"], 2, "--events",
        "no space")
    add("premises-db-folder", ["premises", "run", story, "--db", "{dir}"], 2, "--db", "folder")
    add("premises-db-garbage", ["premises", "run", story, "--db", "{file}"], 2)
    add("premises-db-under-file", ["premises", "run", story, "--db", "{file}/s.sqlite"], 2, "--db")
    add("premises-db-proc", ["premises", "run", story, "--db", "/proc/smetslab-x/s.sqlite"], 2, "--db")
    add("premises-unknown-option", ["premises", "run", story, "--fast"], 2, "--fast")
    return c


_SCENARIO_WORDS: dict[str, list[str]] = {
    "list": ["mapping"], "empty": ["mapping"], "broken": ["YAML", "line"], "tab": ["YAML"],
    "unknown-field": ["premisses"], "unknown-param": ["wan_lost_per_yr", "wan_lost_per_year"],
    "unknown-group": ["incidentz"], "premises-text": ["premises", "many"], "premises-zero": ["premises"],
    "premises-huge": ["premises"], "premises-float": ["premises", "2.5"], "replicates-zero": ["replicates"],
    "seed-negative": ["seed"], "horizon-zero": ["horizon_days"], "horizon-inf": ["horizon_days"],
    "name-empty": ["name"], "options-empty": ["options"], "options-no-baseline": ["baseline"],
    "options-unknown": ["secmp0099"], "options-twice": ["secmp0037", "twice"], "options-not-list": ["options"],
    "value-negative": ["incidents.wan_lost_per_year", "-0.5"], "value-string": ["incidents.wan_lost_per_year"],
    "value-nan": ["incidents.wan_lost_per_year"], "value-bool": ["incidents.wan_lost_per_year"],
    "probability-above-1": ["customer.meter_keypad_reachable_prob", "1.5"],
    "source-blank": ["incidents.wan_lost_per_year.source"], "param-extra-key": ["unit"],
    "pence-float": ["costs.secmp0032_national"], "regions": ["sum to 1"],
    "sweep-unknown-param": ["sensitivity[0].param", "incidents.nope"],
    "sweep-low-above-high": ["sensitivity[0].low", "sensitivity[0].high", "0.2", "0.05"],
    "sweep-high-out-of-range": ["sensitivity[0].high", "2.0"],
    "sweep-low-out-of-range": ["sensitivity[0].low", "-1"],
    "sweep-second-bad": ["sensitivity[1].low", "90.0", "15.0"],
    "sweep-missing-high": ["sensitivity[0].high"], "sweep-extra": ["step"], "sweep-string": ["sensitivity[0].low"],
    "extends-unknown": ["gb-nowhere", "gb-default", "gb-national"], "extends-number": ["extends", "5"],
    "extends-self": ["extends"],
}
CASES = _cases()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The files the cases point at, made once."""
    from smetslab.fleet import store as fleet_store

    t = tmp_path_factory.mktemp("bad-inputs")
    (t / "scenarios").mkdir()
    for name, text in SCENARIOS.items():
        (t / "scenarios" / f"{name}.yaml").write_text(text)
    (t / "dir").mkdir()
    (t / "file.txt").write_text("just some text\n")
    (t / "empty.txt").write_text("")
    (t / "binary.dat").write_bytes(bytes(range(256)) * 4)
    (t / "garbage.hex").write_text("this is not hex\n")
    (t / "story-extra.yaml").write_text((ROOT / "examples/stories/wan-lost-ppmid-paired.yaml").read_text()
                                        + "colour: blue\n")
    ks = t / "ks"
    assert main(["keys", "generate", str(ks), "--seed", "11"]) == 0
    for name, suffix in (("corrupt-key", "-pp-ka.key"), ("corrupt-pem", "-ds.pem")):
        shutil.copytree(ks, t / name)
        victim = next(p for p in sorted((t / name).iterdir()) if p.name.endswith(suffix))
        victim.write_text("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")
    shutil.copytree(ks, t / "mismatched")
    keys = sorted(p for p in (t / "mismatched").iterdir() if p.name.endswith("-ka.key") and "-pp-" not in p.name)
    keys[0].write_bytes(keys[1].read_bytes())  # a private key that is not the pair of its certificate
    # results files: a finished one (written by hand, as tests/report does) and an unfinished one
    sys.path.insert(0, str(ROOT / "tests" / "report"))
    try:
        import synthetic_store
    finally:
        sys.path.pop(0)
    db = synthetic_store.write_store(t / "results.duckdb")
    synthetic_store.write_store(t / "unfinished.duckdb", status="running")
    for name in ("other-run", "foreign", "report-only", "corrupt-run"):
        (t / name).mkdir()
    shutil.copy(db, t / "other-run" / "results.duckdb")
    (t / "foreign" / "notes.md").write_text("someone else's folder\n")
    (t / "report-only" / "report.html").write_text("<html></html>\n")
    (t / "corrupt-run" / "results.duckdb").write_text("not a database\n")
    assert fleet_store  # the module the corrupt-run case exercises
    # a real pre-command, signed below by the same keystore's supplier (built with the package's own API)
    from smetslab.gbcs import keygen  # noqa: F401 - the keystore above came from it
    precommand = t / "precommand.hex"
    rtds = ROOT.parent / "shared" / "gbcs-rtds" / "RTDS-4.5.0" / "2.1_ECS08" / \
        "ECS08_2.1_IMMEDIATE_SUCCESS_PRECOMMAND_GBCS.HEX"
    precommand.write_text(rtds.read_text() if rtds.is_file() else "DF09")
    utrn = io.StringIO()
    return {"t": str(t), "ks": str(ks), "db": str(db), "ex": str(ROOT / "examples"), "file": str(t / "file.txt"),
            "dir": str(t / "dir"), "precommand": str(precommand), "utrn": _issue(ks, utrn)}


def _issue(ks: Path, _: Any) -> str:
    from smetslab.gbcs import utrn as utrn_core
    from smetslab.gbcs.keystore import Keystore

    return utrn_core.issue(Keystore.from_directory(ks), supplier=SUPPLIER, meter=ESME, counter=1 << 32, value=100,
                           value_class=utrn_core.ValueClass.PENNIES)


def _argv(case_argv: list[str], corpus: dict[str, str]) -> tuple[list[str], str | None]:
    stdin = None
    out = []
    for a in case_argv:
        if a.startswith("<stdin:"):
            stdin = a[len("<stdin:"):]
            continue
        out.append(a.format(**corpus) if "{" in a and "}" in a and not a.startswith("{\"") else a)
    return out, stdin


def _check_one_line(err: str, code: int, expected_code: int, words: list[str], case_id: str) -> None:
    lines = err.splitlines()
    assert code == expected_code, f"{case_id}: exit {code}, expected {expected_code}; stderr: {err[:800]}"
    assert "Traceback" not in err, f"{case_id}: {err}"
    assert len(lines) == 1, f"{case_id}: {len(lines)} lines on stderr:\n{err[:2000]}"
    assert lines[0].startswith("error: "), f"{case_id}: {lines[0]}"
    assert len(lines[0]) < 1200, f"{case_id}: {len(lines[0])} characters"
    for w in words:
        assert w in lines[0], f"{case_id}: {w!r} not in {lines[0]!r}"


def test_the_corpus_is_large_and_covers_every_command():
    assert len(CASES) >= 150
    assert len({c[0] for c in CASES}) == len(CASES)
    commands = {tuple(a for a in c[1][:2] if not a.startswith(("-", "{"))) for c in CASES}
    for expected in (("utrn", "issue"), ("utrn", "decode"), ("utrn", "verify"), ("gbcs", "parse"),
                     ("gbcs", "verify"), ("gbcs", "sign"), ("keys", "generate"), ("keys", "list"),
                     ("zigbee", "link-key"), ("compare",), ("results", "export"), ("results", "show"),
                     ("results", "report"), ("premises", "run")):
        assert any(c[: len(expected)] == expected for c in commands), expected


@pytest.mark.parametrize("case_id,argv,code,words", CASES, ids=[c[0] for c in CASES])
def test_bad_input(case_id, argv, code, words, corpus, capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # a default output folder, if one were ever made, lands here
    monkeypatch.delenv("COLUMNS", raising=False)
    args, stdin = _argv(argv, corpus)
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    result = main(args)
    _check_one_line(capsys.readouterr().err, result, code, words, case_id)
    assert list(tmp_path.iterdir()) == [], f"{case_id}: wrote {list(tmp_path.iterdir())}"


def test_report_on_a_full_disk(corpus, capsys, monkeypatch, tmp_path):
    """Disk full while the report is written: simulated, since no test may fill a real disk."""
    def full(self: Path, *a: Any, **k: Any) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))

    monkeypatch.setattr(Path, "write_text", full)
    out = tmp_path / "r.html"
    _check_one_line(capsys.readouterr().err + _run(capsys, ["results", "report", corpus["db"], "--out", str(out)]),
                    _LAST[0], 2, ["--out", "no space"], "report-disk-full")


def test_export_on_a_full_disk(corpus, capsys, monkeypatch, tmp_path):
    import duckdb

    real_connect = duckdb.connect

    class Full:
        def __init__(self, con: Any) -> None:
            self._con = con

        def execute(self, sql: str, *a: Any) -> Any:
            if sql.startswith("COPY"):
                raise duckdb.IOException('IO Error: Could not write file "x": No space left on device')
            return self._con.execute(sql, *a)

        def __getattr__(self, name: str) -> Any:
            return getattr(self._con, name)

    monkeypatch.setattr(duckdb, "connect", lambda *a, **k: Full(real_connect(*a, **k)))
    err = _run(capsys, ["results", "export", corpus["db"], "--format", "csv", "--out", str(tmp_path / "x")])
    _check_one_line(err, _LAST[0], 2, ["--out", "No space left"], "export-disk-full")


_LAST = [0]


def _run(capsys: pytest.CaptureFixture[str], args: list[str]) -> str:
    _LAST[0] = main(args)
    return capsys.readouterr().err


def _subprocess(args: list[str], cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, "-m", "smetslab", *args], cwd=cwd, env=env, input=stdin,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("case_id", ["compare-scheduler-bogus", "utrn-decode-huge", "compare-out-under-file",
                                     "results-report-out-proc", "utrn-issue-counter-5", "keys-list-corrupt-private",
                                     "utrn-issue-jsonl-bad-json"])
def test_a_few_through_a_real_process(case_id, corpus, tmp_path):
    _, argv, code, words = next(c for c in CASES if c[0] == case_id)
    args, stdin = _argv(argv, corpus)
    proc = _subprocess(args, tmp_path, stdin)
    _check_one_line(proc.stderr, proc.returncode, code, words, case_id)


def test_a_locked_results_file_says_another_run_is_using_it(corpus, tmp_path, capsys):
    """DuckDB's lock is per process: hold it from a second process, then run in this one."""
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    shutil.copy(corpus["db"], run_dir / "results.duckdb")
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
                               "print('locked', flush=True); time.sleep(60)", str(run_dir / "results.duckdb")],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        for args in (["compare", f"{corpus['ex']}/my.yaml", "--out", str(run_dir)],
                     ["results", "export", str(run_dir / "results.duckdb"), "--format", "csv", "--out",
                      str(tmp_path / "csv")]):
            err = _run(capsys, args)
            _check_one_line(err, _LAST[0], 2, ["another run is using it", f"process {holder.pid}"], args[0])
    finally:
        holder.kill()
        holder.wait()


def test_inherited_sweeps_follow_an_overriding_value(tmp_path):
    """Issue 7: extends gb-default, wan_lost_per_year 0.2 (gb-default: 0.02, swept 0.005..0.05). By the rule
    in docs/scenarios.md the sweep keeps its spread around the new value: 0.005*10 .. 0.05*10."""
    from smetslab.interfaces.config import load_scenario

    (tmp_path / "s.yaml").write_text("extends: gb-default\nincidents:\n  wan_lost_per_year: {value: 0.2}\n"
                                     "customer:\n  meter_keypad_reachable_prob: {value: 0.9}\n")
    s = load_scenario(tmp_path / "s.yaml")
    by = {sw.param: sw for sw in s.sensitivity}
    assert (by["incidents.wan_lost_per_year"].low, by["incidents.wan_lost_per_year"].high) == (0.05, 0.5)
    # gb-default sweeps the keypad probability 0.3..0.9 around 0.6; at 0.9 that is 0.45..1.35, clipped to 1
    assert (by["customer.meter_keypad_reachable_prob"].low, by["customer.meter_keypad_reachable_prob"].high) \
        == (0.45, 1.0)
    assert (by["remedy.dcc_mean_days"].low, by["remedy.dcc_mean_days"].high) == (15.0, 90.0)  # not overridden
    # a file that lists its own sweeps is taken as written
    (tmp_path / "own.yaml").write_text("extends: gb-default\nincidents:\n  wan_lost_per_year: {value: 0.2}\n"
                                       "sensitivity:\n  - {param: incidents.wan_lost_per_year, low: 0.1, high: 0.3}\n")
    (own,) = load_scenario(tmp_path / "own.yaml").sensitivity
    assert (own.low, own.high) == (0.1, 0.3)


def test_json_bulk_line_errors_name_the_counter(corpus, capsys, monkeypatch):
    req = {"supplier": SUPPLIER, "meter": ESME, "counter": 5, "value": 1, "id": "r1"}
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(req) + "\n"))
    assert main(["utrn", "issue", "--jsonl", "--keystore", corpus["ks"]]) == 2
    (line,) = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert line["field"] == "counter" and line["id"] == "r1" and "utrn" not in line


def test_compare_on_a_full_disk(corpus, capsys, monkeypatch, tmp_path):
    """DuckDB cannot write the results (disk full, simulated at the store): one line naming --out, exit 2, and
    the same command later resumes (nothing half-written: each chunk is one transaction)."""
    import duckdb

    from smetslab.fleet import store

    def full(*a: Any, **k: Any) -> None:
        raise duckdb.IOException('IO Error: Could not write to file "results.duckdb.wal": No space left on device')

    monkeypatch.setattr(store, "write_blocks", full)
    err = _run(capsys, ["compare", f"{corpus['ex']}/my.yaml", "--out", str(tmp_path / "run"), "--workers", "1"])
    _check_one_line(err, _LAST[0], 2, ["--out", "No space left"], "compare-disk-full")

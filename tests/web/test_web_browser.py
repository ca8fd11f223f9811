"""Real-browser tests: Playwright drives the system's Chromium (Debian's package) against a live server on
127.0.0.1. Each test saves a screenshot of its page (build/screenshots/serve-*.png, or $SMETSLAB_SCREENSHOTS).
They skip, saying why, when no chromium is on PATH; CI (.ci/run) installs it, so there they run."""

from __future__ import annotations

import re
from typing import Any

import pytest
from web_helpers import RTDS_DIR, LiveServer, rtds_available, screenshot

expect = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (test extra)").expect
TIMEOUT_MS = 60_000


def _open(page: Any, live: LiveServer, path: str) -> None:
    page.goto(f"{live.url}{path}?token={live.settings.token}")
    page.wait_for_selector("body[data-ready='1']", timeout=TIMEOUT_MS)


def _field(page: Any, path: str) -> Any:
    return page.locator(f"[id='f-{path}']")


def test_compare_page_change_a_parameter_run_and_see_the_table(page: Any, live: LiveServer) -> None:
    _open(page, live, "/compare")
    assert page.url.endswith("/compare")  # the token left the address bar for a cookie
    # a value out of range is flagged at its field, by the server's validator
    _field(page, "incidents.no_wan_at_install_prob").fill("1.5")
    err = page.locator("[id='e-incidents.no_wan_at_install_prob']")
    err.filter(has_text="less than or equal to 1").wait_for(timeout=TIMEOUT_MS)
    _field(page, "incidents.no_wan_at_install_prob").fill("0.01")
    expect(err).to_have_text("", timeout=TIMEOUT_MS)  # (wait_for_function would need 'unsafe-eval': the CSP
    # refuses it, as it should)
    # a small run: 8,192 premises x 2 replicates, three options, a shorter DCC deadline
    _field(page, "premises").fill("8192")
    _field(page, "replicates").fill("2")
    _field(page, "name").fill("browser-run")
    _field(page, "remedy.baseline_max_days").fill("20")
    for box in page.locator("#scenario-form input.opt").all():
        if box.get_attribute("value") not in ("baseline", "secmp0037", "hub_button"):
            box.uncheck()
    page.locator("[id='f-combos']").fill("")
    page.click("#run")
    page.locator("#run-state").filter(has_text="finished").wait_for(timeout=TIMEOUT_MS)
    rows = page.locator("#ranked-table tbody tr[data-option]")
    expect(rows).to_have_count(3, timeout=TIMEOUT_MS)  # the table is filled just after the state says finished
    assert sorted(r.get_attribute("data-option") for r in rows.all()) == ["baseline", "hub_button", "secmp0037"]
    # the progress finished: the bar is full and says so
    assert page.eval_on_selector("#progress", "p => p.value === p.max && p.max > 0")
    assert "done" in page.inner_text("#progress-text")
    assert page.locator("#bar-chart svg rect.bar").count() == 3
    assert page.locator("#dl-results-duckdb").count() == 1
    # what ran is what the form said
    runs = page.request.get(f"{live.url}/api/runs").json()["runs"]
    mine = next(r for r in runs if r["name"] == "browser-run")
    scen = page.request.get(f"{live.url}/api/runs/{mine['id']}/scenario").json()["scenario"]
    assert scen["remedy"]["baseline_max_days"]["value"] == 20 and scen["premises"] == 8192
    screenshot(page, "compare")
    # the risk register of the run: rating counts, a heat map per option, harm against risk, the table
    reg = page.request.get(f"{live.url}/api/runs/{mine['id']}/risk").json()
    counts = page.locator("#risk-counts tr[data-option]")
    expect(counts).to_have_count(3, timeout=TIMEOUT_MS)
    base = next(o for o in reg["options"] if o["option"] == "baseline")
    expect(page.locator("#risk-counts tr[data-option='baseline'] td.count-unique")).to_have_text(
        str(base["counts"]["unique"]))
    expect(page.locator("#risk-counts tr[data-option='baseline'] td.count-high")).to_have_text(
        str(base["counts"]["high"]))
    assert page.locator("#risk-heat svg.heat").count() == 3
    assert page.locator("#risk-harm svg line.appetite").count() == 1
    assert page.locator("#risk-harm svg circle.pt").count() == 3
    total = sum(o["counts"]["unique"] for o in reg["options"])
    expect(page.locator("#risk-table tr[data-option]")).to_have_count(total)
    # filter the register: one option's High risks only
    page.select_option("#risk-f-option", "secmp0037")
    page.select_option("#risk-f-rating", "High")
    mine_high = next(o for o in reg["options"] if o["option"] == "secmp0037")["counts"]["high"]
    expect(page.locator("#risk-table tr[data-option]")).to_have_count(mine_high)
    expect(page.locator("#risk-stability")).to_contain_text("Not run")  # no sensitivity sweeps in this run
    # another scoring method, scored on the server
    page.select_option("#risk-method", "nist")
    page.locator("#risk-note").filter(has_text="nist method").wait_for(timeout=TIMEOUT_MS)
    screenshot(page, "compare-risk", focus="#risk")
    assert not page.js_errors, page.js_errors  # nothing refused by the CSP, no script error


def test_premises_page_run_a_story_and_open_a_frame_decode_tree(page: Any, live: LiveServer) -> None:
    _open(page, live, "/premises")
    page.select_option("#story-select", "wan-lost-ppmid-broken-hub-button")
    page.click("#story-load")
    expect(page.locator("#story-yaml")).to_have_value(re.compile("hub_button"), timeout=TIMEOUT_MS)
    page.click("#run-yaml")
    page.locator("#story-verdict").filter(has_text="PASSED").wait_for(timeout=TIMEOUT_MS)
    assert page.locator("#verdicts li").count() == 8  # the story file states eight expectations
    assert page.locator("svg.timeline rect.frame").count() > 0
    # a HAN frame (general-ciphering, MAC'd) from the hub to a meter
    row = page.locator("tr.frame-row", has_text="PCS01").first
    row.click()
    page.locator("#frame-status").filter(has_text="MAC valid").wait_for(timeout=TIMEOUT_MS)
    assert "message code" in page.inner_text("#frame-tree") or "message_code" in page.inner_text("#frame-tree")
    screenshot(page, "premises", focus="#frame-status")
    # a click-built story: install, issue a UTRN, type it on the drawn PPMID keypad
    page.click("#b-clear")
    page.fill("#b-at", "0")
    page.click("#b-install")
    page.fill("#b-at", "1d")
    page.click("#b-issue")
    page.fill("#b-at", "+5m")
    page.click(".keypad button[data-key='1']")
    page.click(".keypad button[data-key='OK']")
    page.fill("#b-expect", "topups_accepted == 1")
    page.fill("#b-horizon", "2d")
    assert page.locator("#b-steps li").count() == 3
    page.click("#run-built")
    page.locator("#story-verdict").filter(has_text="PASSED").wait_for(timeout=TIMEOUT_MS)
    screenshot(page, "premises-built")
    assert not page.js_errors, page.js_errors


@pytest.mark.skipif(not rtds_available(), reason=f"RTDS corpus not found at {RTDS_DIR}")
def test_gbcs_page_paste_an_rtds_message_and_see_mac_valid(page: Any, live: LiveServer) -> None:
    _open(page, live, "/gbcs")
    hex_text = (RTDS_DIR / "RTDS-4.5.0" / "2.2_CS01a" / "CS01a_2.2_SUCCESS_COMMAND_GBCS.HEX").read_text()
    page.select_option("#keystore", "configured")
    page.fill("#hex", hex_text)
    page.click("#parse")
    page.locator("#verdict").filter(has_text="MAC valid").wait_for(timeout=TIMEOUT_MS)
    assert "utrn" in page.inner_text("#tree")
    page.click("#u-issue")
    expect(page.locator("#u-code")).to_have_value(re.compile(r"^\d{20}$"), timeout=TIMEOUT_MS)
    page.click("#u-verify")
    page.locator("#utrn-out").filter(has_text="MAC valid").wait_for(timeout=TIMEOUT_MS)
    screenshot(page, "gbcs")
    assert not page.js_errors, page.js_errors


def test_a_page_without_the_token_is_refused(browser: Any, live: LiveServer) -> None:
    ctx = browser.new_context(viewport={"width": 900, "height": 400})
    try:
        pg = ctx.new_page()
        resp = pg.goto(f"{live.url}/compare")
        assert resp is not None and resp.status == 403
        assert "Access refused" in pg.inner_text("h1")
        api = pg.request.get(f"{live.url}/api/runs")
        assert api.status == 401
        wrong = pg.goto(f"{live.url}/compare?token=not-the-token")
        assert wrong is not None and wrong.status == 403
        screenshot(pg, "refused")
    finally:
        ctx.close()


@pytest.mark.slow  # three runs in the browser; the API tests cover cancel and compare in the default suite
def test_compare_page_cancel_a_run_and_compare_two_runs(page: Any, live: LiveServer) -> None:
    _open(page, live, "/compare")
    for box in page.locator("#scenario-form input.opt").all():
        if box.get_attribute("value") not in ("baseline", "secmp0032"):
            box.uncheck()
    page.locator("[id='f-combos']").fill("")
    _field(page, "replicates").fill("1")
    # a large run, cancelled while it runs
    _field(page, "premises").fill(str(65536 * 40))
    page.click("#run")
    page.locator("#run-state").filter(has_text="running").wait_for(timeout=TIMEOUT_MS)
    page.click("#cancel")
    page.locator("#run-state").filter(has_text="cancelled").wait_for(timeout=TIMEOUT_MS)
    # two small runs that differ in one parameter, then compare them
    _field(page, "premises").fill("8192")
    finished = page.locator("#runs-table .badge.finished")
    for days in ("90", "15"):
        before = finished.count()
        _field(page, "remedy.secmp0032_max_days").fill(days)
        page.click("#run")
        # the stored-runs list is refreshed when a run ends: wait for one more finished run there (the state
        # badge would still say "finished" from the previous run for a moment)
        expect(finished).to_have_count(before + 1, timeout=TIMEOUT_MS)
    expect(page.locator("#runs-table .badge", has_text="cancelled")).to_have_count(1, timeout=TIMEOUT_MS)
    page.click("#compare-go")  # newest finished run against the one before it
    changed = page.locator("#diff-params tr")
    expect(changed).to_have_count(2, timeout=TIMEOUT_MS)  # header + the one changed parameter
    assert "remedy.secmp0032_max_days" in changed.nth(1).inner_text()
    assert "90" in changed.nth(1).inner_text() and "15" in changed.nth(1).inner_text()
    expect(page.locator("#diff-ranking tr")).to_have_count(3)  # header + two options
    screenshot(page, "compare-runs", focus="#compare-out")
    assert not page.js_errors, page.js_errors

#!/usr/bin/python3
"""The console in a real browser: headless Chromium driven by Selenium,
while real clients boot against the same pxehubd (scapy DHCP, tftp-hpa,
curl, a slow HTTP download).  Run inside the client's namespace:

  console_browser.py BASE TOKEN TOPDIR SCREENSHOT UPSTREAM_PID PROFILE_DIR

Prints TAP-like "ok NAME" / "not ok NAME # why" lines.
"""
import json
import os
import signal
import subprocess
import sys
import time

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

BASE, TOKEN, TOP, SHOT, UPSTREAM, PROFILE = sys.argv[1:7]
HOST = BASE.split("//")[1].split(":")[0].split("/")[0]
PY = "/usr/bin/python3"
DHCP = [PY, TOP + "/tests/integration/dhcp_client.py"]
TOOLS = [PY, TOP + "/tests/integration/console_tools.py"]
M1, M2 = "52:54:00:54:00:01", "52:54:00:54:00:02"
HOSTILE = "<img src=x onerror=alert(1)>"
failed = False


def ok(name, cond, why=""):
    global failed
    if cond:
        print("ok " + name, flush=True)
    else:
        failed = True
        print("not ok %s # %s" % (name, why), flush=True)


def wait(fn, secs=10.0, step=0.2):
    end = time.time() + secs
    last = None
    while time.time() < end:
        try:
            last = fn()
            if last:
                return last
        except Exception as e:  # the page is being rebuilt under us
            last = e
        time.sleep(step)
    return None


def run(*cmd):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=30)


opts = webdriver.ChromeOptions()
for a in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
          "--no-first-run", "--disable-background-networking",
          "--disable-component-update", "--disable-sync",
          "--disable-dev-shm-usage", "--window-size=1400,1800",
          "--user-data-dir=" + PROFILE):
    opts.add_argument(a)
opts.binary_location = "/usr/bin/chromium"
opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
drv = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
drv.set_page_load_timeout(20)
# CSP violations, whenever they happen (also before the page's own script)
drv.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": """
  window.__csp = [];
  document.addEventListener('securitypolicyviolation', function (e) {
    window.__csp.push(e.violatedDirective + ' ' + e.blockedURI);
  });"""})
logs = []


def page_errors():
    logs.extend(drv.get_log("browser"))
    csp = drv.execute_script("return window.__csp || []")
    return [l["message"] for l in logs if l["level"] == "SEVERE"], csp


def text(css):
    return drv.find_element(By.CSS_SELECTOR, css).text


try:
    # ---- anonymous: the page, facts hidden, sign in with the token ----------
    drv.get(BASE + "/")
    ok("page_loads_anonymous", "pxehub" in drv.title, drv.title)
    ok("facts_hidden_from_anonymous", drv.find_elements(By.ID, "facts-hidden"))
    ok("live_stream_connects", wait(lambda: text("#live") == "live"), text("#live"))
    drv.find_element(By.ID, "token").send_keys("wrong")
    drv.find_element(By.CSS_SELECTOR, "#signin button").click()
    ok("wrong_token_refused", wait(lambda: drv.find_elements(By.ID, "signin-failed")))
    drv.find_element(By.ID, "token").send_keys(TOKEN)
    drv.find_element(By.CSS_SELECTOR, "#signin button").click()
    ok("signed_in_by_cookie", wait(lambda: drv.find_elements(By.ID, "signout")) and
       not drv.find_elements(By.ID, "facts-hidden"))
    cookie = drv.get_cookie("pxehub_token")
    ok("cookie_httponly_strict", cookie and cookie.get("httpOnly") and
       cookie.get("sameSite") == "Strict", cookie)

    # ---- a machine boots: DHCP, TFTP loader, iPXE script, a slow image ----------
    r = run(*DHCP, "discover", "c0", M1, "0", "PXEClient:Arch:00000:UNDI:002001",
            "--from", HOST)
    r = run(*DHCP, "request", HOST, M1, "0", "PXEClient:Arch:00000:UNDI:002001",
            "--ciaddr", "10.54.0.77")
    ok("dhcp_answered", r.stdout.strip(), r.stderr[-300:])
    r = run("tftp", "-m", "binary", HOST, "-c", "get", "undionly.kpxe", "/dev/null")
    r = run("curl", "-s", "-G", BASE + "/boot.ipxe", "--data-urlencode", "mac=" + M1,
            "--data-urlencode", "serial=" + HOSTILE, "--data-urlencode",
            "uuid=11112222-3333-4444-5555-666677778888", "--data-urlencode", "arch=x86_64")
    ok("ipxe_script_served", r.stdout.startswith("#!ipxe"), r.stdout[:100])
    slow = subprocess.Popen(TOOLS + ["slowget", HOST, "80", "/files/big.img?mac=" + M1,
                                     "400000", PROFILE + "/got"])

    def in_progress():
        row = drv.find_element(By.CSS_SELECTOR, '#now-table tr[data-mac="%s"]' % M1)
        p = row.find_element(By.TAG_NAME, "progress")
        v, mx = float(p.get_attribute("value")), float(p.get_attribute("max"))
        return (v, mx) if 0 < v < mx and "image download" in row.text else None
    prog = wait(in_progress, 15)
    ok("now_shows_download_in_progress", prog, drv.find_element(By.ID, "now-table").text)
    if prog:
        later = wait(lambda: (lambda p: p if p and p[0] > prog[0] else None)(in_progress()), 6)
        ok("now_progress_moves", later, "stayed at %s" % (prog,))
    drv.save_screenshot(SHOT)  # the README's picture: a boot in progress
    slow.wait(timeout=40)

    def booted():
        row = drv.find_element(By.CSS_SELECTOR, '#now-table tr[data-mac="%s"]' % M1)
        return "booted" in row.text and not row.find_elements(By.TAG_NAME, "progress")
    ok("now_shows_completion", wait(booted, 10), drv.find_element(By.ID, "now-table").text)

    # a second machine gets its script and goes quiet: stuck after
    # [http] stuck_after (4 s here); the first, booted, is not
    run(*DHCP, "discover", "c0", M2, "7", "PXEClient:Arch:00007:UNDI:003016", "--from", HOST)
    run("curl", "-s", "-G", BASE + "/boot.ipxe", "--data-urlencode", "mac=" + M2,
        "--data-urlencode", "serial=SN-TWO-2222", "-o", "/dev/null")

    def row_class(mac):
        return drv.find_element(By.CSS_SELECTOR, '#now-table tr[data-mac="%s"]' % mac) \
            .get_attribute("class") or ""
    ok("quiet_machine_stuck", wait(lambda: "stuck" in row_class(M2) and
                                   "stuck" in text('#now-table tr[data-mac="%s"]' % M2), 12),
       row_class(M2))
    ok("booted_machine_not_stuck", "stuck" not in row_class(M1), row_class(M1))

    # ---- the filter finds a machine by serial ---------------------------------
    def rows():
        return [r.get_attribute("data-mac") for r in
                drv.find_elements(By.CSS_SELECTOR, "#machines-table tbody tr")]
    ok("machines_listed", wait(lambda: M1 in rows() and M2 in rows()), rows())
    f = drv.find_element(By.ID, "filter")
    f.clear()
    f.send_keys("SN-TWO")
    ok("filter_by_serial", wait(lambda: rows() == [M2]), rows())
    f.clear()
    f.send_keys("onerror")
    ok("filter_by_hostile_serial", wait(lambda: rows() == [M1]), rows())
    cell = drv.find_element(By.CSS_SELECTOR, '#machines-table tr[data-mac="%s"] td.serial' % M1)
    ok("hostile_serial_shown_as_text", cell.text == HOSTILE, cell.text)
    f.clear()
    f.send_keys("11112222-3333")
    ok("filter_by_uuid", wait(lambda: rows() == [M1]), rows())
    f.clear()

    # ---- one machine's story ---------------------------------------------------
    drv.find_element(By.CSS_SELECTOR, '#machines-table a[href="#story=%s"]' % M1).click()
    ok("story_opens", wait(lambda: drv.find_element(By.ID, "story").is_displayed() and
                           drv.find_elements(By.CSS_SELECTOR, "#story-body .steps li")))
    evs = [li.get_attribute("data-event") for li in
           drv.find_elements(By.CSS_SELECTOR, "#story-body .boot:last-child .steps li")]
    want = ["dhcp_request", "dhcp_decision", "tftp_start", "tftp_end", "script_served",
            "download_start", "download_end"]
    pos = [evs.index(w) if w in evs else -1 for w in want]
    ok("story_events_in_order", -1 not in pos and pos == sorted(pos), evs)
    body = text("#story-body")
    ok("story_decision_and_downloads", "Decision: boot by default" in body and
       "undionly.kpxe" in body and "/files/big.img" in body and "3.8 MiB" in body, body[:600])
    # the live stream and the story API agree on the order
    api = json.loads(run("curl", "-s", "-H", "Authorization: Bearer " + TOKEN,
                         BASE + "/api/v1/clients/" + M1).stdout)
    ok("story_matches_api", [s["event"] for s in api["boots"][-1]["steps"]] == evs, evs)

    # ---- health: the referral upstream goes down --------------------------------
    def state():
        return drv.find_element(By.CSS_SELECTOR, '#plugins-table tr[data-plugin="referral"]') \
            .get_attribute("data-state")
    ok("referral_up", wait(lambda: state() == "up", 10), state())
    os.kill(int(UPSTREAM), signal.SIGTERM)
    ok("referral_down_shown", wait(lambda: state() == "down", 15), state())
    row = text('#plugins-table tr[data-plugin="referral"]')
    ok("referral_down_figure", "upstreams_down 1" in row, row)
    ok("listening_sockets", "8050" in text("#sockets-table") and "67" in text("#sockets-table"),
       text("#sockets-table"))
    ok("config_path_shown", text("#config-path").endswith("pxehub.conf"), text("#config-path"))

    # ---- numbers -----------------------------------------------------------------
    ok("charts_drawn", wait(lambda: len(drv.find_elements(By.CSS_SELECTOR, "#charts .chart svg polyline")) >= 5),
       len(drv.find_elements(By.CSS_SELECTOR, "#charts .chart")))
    ok("numbers_table", "pxehub_dhcp_offers_total" in text("#numbers-table"))

    # ---- nothing ran that should not have -------------------------------------------
    try:
        drv.switch_to.alert
        ok("no_script_from_client_values", False, "an alert opened")
    except NoAlertPresentException:
        ok("no_script_from_client_values", not drv.find_elements(By.CSS_SELECTOR, "main img"))
    errs, csp = page_errors()
    ok("no_console_errors", not errs, errs[:5])
    ok("no_csp_violations", not csp and not any("Content Security Policy" in l["message"] for l in logs),
       csp[:5])
    drv.find_element(By.ID, "signout").click()
    ok("sign_out", wait(lambda: drv.find_elements(By.ID, "signin")))
finally:
    with open(os.path.join(os.path.dirname(SHOT), "console-browser.log"), "w") as f:
        for l in logs:
            f.write(json.dumps(l) + "\n")
    drv.quit()
sys.exit(1 if failed else 0)

"""Explain one client's boot steps from /api/v1/clients (make demo)."""
import json
import sys

WHAT = {
    ("dhcp_request", "discover"):
        "The firmware broadcast a DHCPDISCOVER (vendor class {vc}, arch {arch}); "
        "the site's DHCP server offers the address, pxehub only the boot part.",
    ("dhcp_request", "request"):
        "The client sent a DHCPREQUEST ({message}).",
    ("decision", None):
        "The decision chain ran: {message}.",
    ("dhcp_decision", "boot"):
        "pxehub sent a proxyDHCP answer with the boot file {file}.",
    ("dhcp_decision", "ignore"):
        "pxehub stayed silent: the firmware goes on to its next boot device.",
    ("dhcp_decision", "local"):
        "pxehub stayed silent so the firmware boots its local disk.",
    ("tftp_start", None):
        "The firmware started a TFTP download of {file}.",
    ("tftp_end", "end"):
        "TFTP download of {file} done ({bytes} bytes).",
    ("tftp_end", None):
        "TFTP transfer of {file} ended: {message}.",
    ("download_start", None):
        "HTTP download of {file} started.",
    ("download_end", None):
        "HTTP download of {file} done ({bytes} bytes).",
    ("script_served", None):
        "iPXE fetched {file} with its facts and got its script ({message}).",
}


def explain(step, rec):
    keys = [(step.get("event"), step.get("action")), (step.get("event"), None)]
    for k in keys:
        if k in WHAT:
            return WHAT[k].format(vc=rec.get("vendor_class", "?"),
                                  arch=rec.get("arch", "?"),
                                  file=step.get("file", ""),
                                  bytes=step.get("bytes", 0),
                                  message=step.get("message", ""))
    return "%s %s %s" % (step.get("event"), step.get("action"), step.get("file", ""))


def main():
    try:
        data = json.load(open(sys.argv[1]))
    except (OSError, ValueError):
        print("(pxehub's API did not answer)")
        return 0
    clients = data.get("clients", data) if isinstance(data, dict) else data
    rec = [c for c in clients if c.get("mac", "").lower() == sys.argv[2].lower()]
    if not rec:
        print("pxehub has no record of %s" % sys.argv[2])
        return 0
    rec = rec[0]
    print("Machine %s  arch %s  UUID %s  address %s" % (
        rec.get("mac"), rec.get("arch"), rec.get("uuid", "?"), rec.get("ip", "?")))
    steps = rec.get("steps", [])
    t0 = steps[0]["time"] if steps else 0
    for s in steps:
        print("  +%5.2fs  %s" % (s["time"] - t0, explain(s, rec)))
    print("Then the script showed pxehub's built-in menu; its default item "
          "(\"Boot from local disk\") ran when the timeout passed, iPXE exited, "
          "and the firmware booted the small disk.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

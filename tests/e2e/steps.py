"""Check one client's steps in pxehub's /api/v1/clients JSON (e2e suite).

usage: steps.py CLIENTS.json MAC SPEC...
SPEC is EVENT[:ACTION][@FILE-SUBSTRING]; the SPECs must match
the client's steps in this order (other steps may come between).  A SPEC
starting with "!" must match no step at all.  A SPEC "client.KEY=VALUE"
checks a field of the client record (case-insensitive).  A SPEC
"console:TEXT" is lab.sh's (the VM's console) and skipped here.  Prints the
steps.
"""
import json
import sys


def parse(spec):
    event, action, file = spec, None, None
    if "@" in event:
        event, file = event.split("@", 1)
    if ":" in event:
        event, action = event.split(":", 1)
    return event, action, file


def matches(step, spec):
    event, action, file = parse(spec)
    if step.get("event") != event:
        return False
    if action is not None and step.get("action") != action:
        return False
    if file is not None and file not in step.get("file", ""):
        return False
    return True


def main():
    data = json.load(open(sys.argv[1]))
    mac = sys.argv[2].lower()
    clients = data.get("clients", data) if isinstance(data, dict) else data
    rec = [c for c in clients if c.get("mac", "").lower() == mac]
    if not rec:
        print("no client %s in /api/v1/clients (%d clients)" % (mac, len(clients)))
        return 1
    rec = rec[0]
    steps = rec.get("steps", [])
    for s in steps:
        print("step %-15s %-8s %-10s %s %s" % (s.get("event"), s.get("action"),
              s.get("plugin", ""), s.get("file", ""), s.get("message", "")))
    bad = 0
    i = 0
    for spec in sys.argv[3:]:
        if spec.startswith("console:"):
            continue
        if spec.startswith("client."):
            key, want = spec[7:].split("=", 1)
            got = str(rec.get(key, ""))
            if got.lower() != want.lower():
                print("client %s: %r, expected %r" % (key, got, want))
                bad = 1
            continue
        if spec.startswith("!"):
            hit = [s for s in steps if matches(s, spec[1:])]
            if hit:
                print("unexpected step %s" % spec[1:])
                bad = 1
            continue
        while i < len(steps) and not matches(steps[i], spec):
            i += 1
        if i == len(steps):
            print("missing step %s (in this order)" % spec)
            bad = 1
            i = 0
        else:
            i += 1
    return bad


if __name__ == "__main__":
    sys.exit(main())

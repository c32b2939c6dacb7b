#!/usr/bin/python3
"""pxehub script_exec example (boot_images, iPXE phase): a technician menu.

Machines whose MAC is in the technicians' list get a menu with diagnostics,
an iPXE shell, memtest and the local disk; every other machine gets "next"
(no opinion: the next plugin or the server's default decides).

  [script_exec]
  boot_images = /etc/pxehub/scripts/technician_menu.py
  env = TECH_MACS=/etc/pxehub/scripts/technicians.txt

The files are served by pxehub from [http] root:
  /files/diag/diag.ipxe        a diagnostics script of your own (chained)
  /files/memtest/memtest.efi   memtest86+ for UEFI (memtest.bin for BIOS)
"""
import json
import os
import sys


def listed(path, mac):
    try:
        with open(path) as f:
            for line in f:
                line = line.split("#", 1)[0].strip().lower().replace("-", ":")
                if line and line == mac:
                    return True
    except OSError as e:
        print("cannot read %s: %s" % (path, e), file=sys.stderr)
    return False


def main():
    facts = json.load(sys.stdin)
    mac = facts["mac"].lower()
    path = os.environ.get("TECH_MACS", "/etc/pxehub/scripts/technicians.txt")
    if not listed(path, mac):
        return  # no output: no opinion
    efi = facts.get("platform") == "efi" or facts.get("arch", "").startswith("efi")
    memtest = "/files/memtest/memtest.efi" if efi else "/files/memtest/memtest.bin"
    print(json.dumps({
        "reason": "technician %s" % mac,
        "ttl": 10,
        "menu": {
            "title": "pxehub technician menu (%s)" % mac,
            "timeout": 30000,
            "default": "disk",
            "items": [
                {"id": "diag", "label": "Hardware diagnostics",
                 "chain": "/files/diag/diag.ipxe"},
                {"id": "memtest", "label": "Memory test (memtest86+)",
                 "kernel": {"kernel": memtest}},
                {"id": "shell", "label": "iPXE shell", "shell": True},
                {"id": "disk", "label": "Boot the local disk", "local": True},
            ],
        },
    }))


if __name__ == "__main__":
    main()

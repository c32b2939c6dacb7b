#!/usr/bin/python3
"""pxehub script_exec example (boot_images, iPXE phase): firmware first.

Models listed in a firmware table (SMBIOS manufacturer + product, from the
client's facts) must run the current BIOS before the OS install.  The BIOS
version itself is SMBIOS type 0 string 5, which iPXE reads as
${smbios/0.5.0}; the script served compares it with the table's current
version and sends a machine with any other (older) firmware to the update
entry; machines that are current, and models not in the table, go on to
the OS install.

  [script_exec]
  boot_images = /etc/pxehub/scripts/bios_check.py
  env = BIOS_TABLE=/etc/pxehub/scripts/bios_table.json OS_INSTALL=/files/boot/install.ipxe

bios_table.json:
  {"Dell Inc.|OptiPlex 7080": {"current": "1.16.0",
                               "update": "/files/firmware/optiplex7080.ipxe"}}
"""
import json
import os
import sys


def main():
    facts = json.load(sys.stdin)
    table_path = os.environ.get("BIOS_TABLE", "/etc/pxehub/scripts/bios_table.json")
    install = os.environ.get("OS_INSTALL", "/files/boot/install.ipxe")
    try:
        with open(table_path) as f:
            table = json.load(f)
    except (OSError, ValueError) as e:
        print("firmware table %s: %s" % (table_path, e), file=sys.stderr)
        sys.exit(1)  # a failure: [script_exec] on_error decides
    model = "%s|%s" % (facts.get("manufacturer", ""), facts.get("product", ""))
    entry = table.get(model)
    if not entry:
        print(json.dumps({"chain": install, "reason": "model %s not managed" % model}))
        return
    current, update = entry["current"], entry["update"]
    # iPXE compares strings; a version that is not the current one is old
    script = "\n".join([
        "#!ipxe",
        "echo Firmware ${smbios/0.5.0} (current for %s: %s)" % (facts.get("product"), current),
        "iseq ${smbios/0.5.0} %s && goto fw_ok ||" % current,
        "echo Old firmware: updating before the OS install",
        "chain %s || goto fw_failed" % update,
        ":fw_failed",
        "echo Firmware update failed; back to the firmware in 10 s",
        "sleep 10",
        "exit 1",
        ":fw_ok",
        "chain %s" % install,
        "",
    ])
    print(json.dumps({"script": script, "ttl": 5,
                      "reason": "firmware check for %s" % model}))


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""pxehub script_exec example (boot_images, iPXE phase): MDT-style lookup.

An SQLite database in the shape of the Microsoft Deployment Toolkit's:
a machine is identified by MAC, SMBIOS UUID, serial number or asset tag
(ComputerIdentity), has roles (Settings_Roles), and a role names the boot
entry to use.  The first role (by sequence) with a boot entry wins.  An
unknown machine gets "next" (no opinion).  Schema and sample data:
mdt_example.sql (sqlite3 /var/lib/pxehub/mdt.sqlite < mdt_example.sql).

  [script_exec]
  boot_images = /etc/pxehub/scripts/mdt_lookup.py
  env = MDT_DB=/var/lib/pxehub/mdt.sqlite

Boot entries (table boot_entry, column kind):
  wimboot  args = {"boot_wim": ..., "bcd": ..., "boot_sdi": ...}
  kernel   args = {"kernel": ..., "initrd": ..., "cmdline": ...}
  chain    args = {"url": ...}
  local    (boot the local disk)
"""
import json
import os
import sqlite3
import sys

QUERY = """
SELECT ci.id, ci.name, r.role, be.kind, be.args
  FROM computer_identity ci
  JOIN settings_roles r ON r.type = 'C' AND r.id = ci.id
  JOIN role_settings rs ON rs.role = r.role
  JOIN boot_entry be ON be.name = rs.boot_entry
 WHERE lower(ci.mac) = lower(:mac)
    OR (:uuid <> '' AND upper(ci.uuid) = upper(:uuid))
    OR (:serial <> '' AND ci.serial = :serial)
    OR (:asset <> '' AND ci.asset_tag = :asset)
 ORDER BY
    CASE WHEN lower(ci.mac) = lower(:mac) THEN 0
         WHEN upper(ci.uuid) = upper(:uuid) THEN 1
         WHEN ci.serial = :serial THEN 2 ELSE 3 END,
    r.sequence
 LIMIT 1
"""


def answer(kind, args, why):
    a = {"reason": why, "ttl": 30}
    if kind == "wimboot":
        a["wimboot"] = args
    elif kind == "kernel":
        a["kernel"] = args
    elif kind == "chain":
        a["chain"] = args["url"]
    elif kind == "local":
        a["action"] = "local"
    else:
        raise ValueError("unknown boot entry kind %r" % kind)
    return a


def main():
    facts = json.load(sys.stdin)
    db = os.environ.get("MDT_DB", "/var/lib/pxehub/mdt.sqlite")
    # read-only: the script never changes the database
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True, timeout=1.0)
    try:
        row = con.execute(QUERY, {k: facts.get(k, "") for k in
                                  ("mac", "uuid", "serial", "asset")}).fetchone()
    finally:
        con.close()
    if not row:
        print("no computer_identity row for %s" % facts["mac"], file=sys.stderr)
        return  # no output: no opinion
    cid, name, role, kind, args = row
    args = json.loads(args) if args else {}
    print(json.dumps(answer(kind, args, "mdt: %s (id %s) role %s -> %s"
                            % (name, cid, role, kind))))


if __name__ == "__main__":
    main()

-- MDT-style database for mdt_lookup.py (pxehub script_exec example).
--   sqlite3 /var/lib/pxehub/mdt.sqlite < mdt_example.sql
-- Tables and columns follow the MDT database's names where there is one.
CREATE TABLE computer_identity (
	id INTEGER PRIMARY KEY,
	name TEXT NOT NULL,
	mac TEXT NOT NULL DEFAULT '',       -- 52:54:00:12:34:56
	uuid TEXT NOT NULL DEFAULT '',      -- SMBIOS UUID, text form
	serial TEXT NOT NULL DEFAULT '',
	asset_tag TEXT NOT NULL DEFAULT ''
);
-- type 'C' = a computer's roles (MDT also has L = location, M = make/model)
CREATE TABLE settings_roles (
	type TEXT NOT NULL,
	id INTEGER NOT NULL,
	sequence INTEGER NOT NULL,
	role TEXT NOT NULL
);
CREATE TABLE role_settings (
	role TEXT PRIMARY KEY,
	boot_entry TEXT NOT NULL
);
CREATE TABLE boot_entry (
	name TEXT PRIMARY KEY,
	kind TEXT NOT NULL CHECK (kind IN ('wimboot', 'kernel', 'chain', 'local')),
	args TEXT NOT NULL DEFAULT '{}'     -- JSON
);

INSERT INTO boot_entry VALUES
 ('winpe-x64', 'wimboot', '{"bcd": "/files/boot/x64/BCD", "boot_sdi": "/files/boot/boot.sdi", "boot_wim": "/files/boot/x64/boot.wim"}'),
 ('debian-installer', 'kernel', '{"kernel": "/files/debian/linux", "initrd": "/files/debian/initrd.gz", "cmdline": "auto=true priority=critical"}'),
 ('kiosk', 'chain', '{"url": "/files/kiosk/boot.ipxe"}'),
 ('disk', 'local', '{}');
INSERT INTO role_settings VALUES
 ('Windows Desktop', 'winpe-x64'),
 ('Linux Server', 'debian-installer'),
 ('Kiosk', 'kiosk'),
 ('Retired', 'disk');
INSERT INTO computer_identity (id, name, mac, uuid, serial, asset_tag) VALUES
 (1, 'DESK-001', '52:54:00:10:00:01', '', 'SN-DESK-001', ''),
 (2, 'SRV-001', '', '01234567-89AB-CDEF-0123-456789ABCDEF', '', ''),
 (3, 'KIOSK-01', '', '', 'SN-KIOSK-01', ''),
 (4, 'OLD-PC', '52:54:00:10:00:04', '', '', 'ASSET-4');
INSERT INTO settings_roles VALUES
 ('C', 1, 1, 'Windows Desktop'),
 ('C', 2, 1, 'Linux Server'),
 ('C', 3, 1, 'Kiosk'),
 ('C', 4, 1, 'Retired'),
 ('C', 4, 2, 'Windows Desktop');

-- A small Configuration Manager-shaped site database for the TDS stand-in
-- (tests/tds/tds_server.py).  Table and column names follow the site
-- database where public material names them (System_DISC,
-- System_MAC_Addresses_ARR, UnknownSystem_DISC, LastPXEAdvertisement); the
-- rest is a simplification.  Declared types become TDS types on the wire.
CREATE TABLE System_DISC (
	ItemKey INT PRIMARY KEY,
	Name0 NVARCHAR(256),
	SMBIOS_GUID0 UNIQUEIDENTIFIER,
	Decommissioned0 BIT NOT NULL DEFAULT 0
);
CREATE TABLE System_MAC_Addresses_ARR (
	ItemKey INT NOT NULL,
	MAC_Addresses0 NVARCHAR(17) NOT NULL
);
CREATE TABLE UnknownSystem_DISC (
	ItemKey INT PRIMARY KEY,
	Name0 NVARCHAR(256),
	SMS_Unique_Identifier0 NVARCHAR(256),
	CPUType0 NVARCHAR(16),
	Decommissioned0 BIT NOT NULL DEFAULT 0
);
CREATE TABLE Collections (
	CollectionID NVARCHAR(8) PRIMARY KEY,
	CollectionName NVARCHAR(256)
);
CREATE TABLE CollectionMembers (
	CollectionID NVARCHAR(8) NOT NULL,
	MachineID INT NOT NULL
);
CREATE TABLE BootImagePackage (
	PkgID NVARCHAR(8) PRIMARY KEY,
	Name NVARCHAR(256),
	Architecture NVARCHAR(8),
	ImagePath NVARCHAR(512),
	ContentHash NVARCHAR(64)
);
CREATE TABLE TaskSequencePackage (
	PkgID NVARCHAR(8) PRIMARY KEY,
	Name NVARCHAR(256),
	BootImageID NVARCHAR(8)
);
CREATE TABLE Advertisement (
	OfferID NVARCHAR(8) PRIMARY KEY,
	OfferName NVARCHAR(256),
	PkgID NVARCHAR(8),
	CollectionID NVARCHAR(8),
	Mandatory BIT NOT NULL DEFAULT 0,
	PresentTime DATETIME,
	MediaGUID UNIQUEIDENTIFIER
);
CREATE TABLE DPContent (
	PkgID NVARCHAR(8) NOT NULL,
	DPName NVARCHAR(256) NOT NULL
);
CREATE TABLE LastPXEAdvertisement (
	MachineID INT NOT NULL,
	MACAddress NVARCHAR(17),
	SMBIOSGUID UNIQUEIDENTIFIER,
	LastPXEAdvertisementID NVARCHAR(8),
	LastPXEAdvertisementTime DATETIME
);

-- ---- data ------------------------------------------------------------------
INSERT INTO UnknownSystem_DISC VALUES
	(2046820352, 'x86 Unknown Computer (x86 Unknown Computer)', 'x86 Unknown Computer (x86 Unknown Computer)', 'x86', 0),
	(2046820353, 'x64 Unknown Computer (x64 Unknown Computer)', 'x64 Unknown Computer (x64 Unknown Computer)', 'x64', 0);

INSERT INTO System_DISC VALUES
	(16777220, 'PC-KNOWN',    '01234567-89AB-CDEF-0123-456789ABCDEF', 0),
	(16777221, 'PC-RAN',      '00000000-0000-0000-0000-000000000002', 0),
	(16777222, 'PC-DUPMAC-A', '00000000-0000-0000-0000-00000000000A', 0),
	(16777223, 'PC-DUPMAC-B', '00000000-0000-0000-0000-00000000000B', 0),
	(16777224, 'PC-CLONE-A',  '00000000-0000-0000-0000-00000000000C', 0),
	(16777225, 'PC-CLONE-B',  '00000000-0000-0000-0000-00000000000C', 0),
	(16777226, 'PC-MALFORMED','00000000-0000-0000-0000-00000000000E', 0),
	(16777227, 'PC-NOTHING',  '00000000-0000-0000-0000-00000000000F', 0),
	(16777228, 'PC-GONE',     '00000000-0000-0000-0000-000000000010', 1);

INSERT INTO System_MAC_Addresses_ARR VALUES
	(16777220, '52:54:00:00:00:01'),
	(16777221, '52:54:00:00:00:02'),
	(16777222, '52:54:00:00:00:AA'),
	(16777223, '52:54:00:00:00:AA'),
	(16777224, '52:54:00:00:00:0C'),
	(16777225, '52:54:00:00:00:0D'),
	(16777226, '52:54:00:00:00:0E'),
	(16777227, '52:54:00:00:00:0F'),
	(16777228, '52:54:00:00:00:10');

INSERT INTO Collections VALUES
	('PS100010', 'Windows 11 rebuild (required)'),
	('PS100011', 'Self-service reinstall'),
	('PS100012', 'Malformed'),
	('PS100013', 'Clone B only'),
	('SMS000US', 'All Unknown Computers');

INSERT INTO CollectionMembers VALUES
	('PS100010', 16777220), ('PS100011', 16777220),
	('PS100010', 16777221), ('PS100011', 16777221),
	('PS100013', 16777223), ('PS100013', 16777225),
	('PS100012', 16777226),
	('SMS000US', 2046820352), ('SMS000US', 2046820353);

INSERT INTO BootImagePackage VALUES
	('PS100004', 'Boot image (x64)', 'x64', 'SMSImages/PS100004/boot.PS100004.wim', NULL),
	('PS100005', 'Boot image (x64) not on this DP', 'x64', 'SMSImages/PS100005/boot.PS100005.wim', NULL),
	('PS100006', 'Boot image (x86)', 'x86', 'SMSImages/PS100006/boot.PS100006.wim', NULL),
	('PS100007', 'Broken boot image', 'x64', '../../etc/passwd', 'not-a-hash');

INSERT INTO TaskSequencePackage VALUES
	('PS100020', 'Windows 11 Enterprise', 'PS100004'),
	('PS100021', 'Windows 10 LTSC', 'PS100004'),
	('PS100022', 'Hardware inventory only', NULL),
	('PS100023', 'Windows 11 (boot image not here)', 'PS100005'),
	('PS100024', 'Windows 11 x86 WinPE', 'PS100006'),
	('PS100025', 'Broken', 'PS100007');

INSERT INTO Advertisement VALUES
	('PS120001', 'Win11 required', 'PS100020', 'PS100010', 1, '2024-03-01 08:00:00', 'C0FFEE00-1234-5678-9ABC-DEF012345678'),
	('PS120002', 'Win10 LTSC available', 'PS100021', 'PS100011', 0, '2024-02-01 08:00:00', NULL),
	('PS120003', 'Win11 available', 'PS100020', 'PS100011', 0, '2024-04-01 08:00:00', NULL),
	('PS120004', 'No boot image', 'PS100022', 'PS100011', 0, '2024-05-01 08:00:00', NULL),
	('PS120005', 'Boot image elsewhere', 'PS100023', 'PS100011', 0, '2024-05-02 08:00:00', NULL),
	('PS120006', 'Clone B deployment', 'PS100021', 'PS100013', 0, '2024-01-15 08:00:00', NULL),
	('PS120007', 'Unknown x64 build', 'PS100020', 'SMS000US', 0, '2024-01-10 08:00:00', NULL),
	('PS120008', 'Unknown x86 build', 'PS100024', 'SMS000US', 0, '2024-01-11 08:00:00', NULL),
	('PS120009', 'Broken row', 'PS100025', 'PS100012', 1, '2024-06-01 08:00:00', NULL),
	('PS12000A', 'Good row beside broken', 'PS100021', 'PS100012', 0, '2024-01-01 08:00:00', NULL);

INSERT INTO DPContent VALUES
	('PS100004', 'dp01.corp.example'),
	('PS100006', 'dp01.corp.example'),
	('PS100007', 'dp01.corp.example'),
	('PS100005', 'dp99.corp.example');

INSERT INTO LastPXEAdvertisement VALUES
	(16777221, '52:54:00:00:00:02', '00000000-0000-0000-0000-000000000002', 'PS120001', '2024-03-02 09:30:00');

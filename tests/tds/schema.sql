-- A small Configuration Manager-shaped site database for the TDS stand-in
-- (tests/tds/tds_server.py).  What public material shows is kept as shown
-- (tests/tds/README cites each source): UnknownSystem_DISC with the columns
-- of the public dump and two sites' unknown-computer pairs, the columns the
-- boot action reply carries (OfferID, OfferIDTime, PkgID, PackageVersion,
-- PackagePath, BootImageID, Mandatory, LastPXEAdvertisementID/Time), the
-- "required" test of the published NBS_GetPXEBootAction text (OfferFlags &
-- 0x620 or a mandatory schedule), PackagePath per distribution point in
-- both layouts.  The rest (collections, packages, DP content) is a
-- simplification with names of our own.  Declared types become TDS types.
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
	DiscArchKey INT,
	SMS_Unique_Identifier0 NVARCHAR(256),
	Name0 NVARCHAR(256),
	Description0 NVARCHAR(256),
	CPUType0 NVARCHAR(16),
	Creation_Date0 DATETIME,
	SiteCode0 NVARCHAR(3),
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
-- Architecture: a string in the SMS_BootImagePackage class ("x86"/"x64")
CREATE TABLE BootImagePackage (
	PkgID NVARCHAR(8) PRIMARY KEY,
	Name NVARCHAR(256),
	Architecture NVARCHAR(8)
);
CREATE VIEW v_BootImagePackage AS
	SELECT PkgID AS PackageID, Name AS Name, Architecture AS Architecture
	FROM BootImagePackage;
CREATE TABLE TaskSequencePackage (
	PkgID NVARCHAR(8) PRIMARY KEY,
	Name NVARCHAR(256),
	BootImageID NVARCHAR(8),
	SourceVersion INT
);
CREATE TABLE Advertisement (
	OfferID NVARCHAR(8) PRIMARY KEY,
	OfferName NVARCHAR(256),
	PkgID NVARCHAR(8),
	CollectionID NVARCHAR(8),
	OfferFlags INT NOT NULL DEFAULT 0,
	MandatorySched NVARCHAR(256),
	PresentTime DATETIME
);
-- where a package is on a distribution point, as PackagePath reports it
CREATE TABLE DPContent (
	PkgID NVARCHAR(8) NOT NULL,
	DPName NVARCHAR(256) NOT NULL,
	PackagePath NVARCHAR(512)
);
CREATE TABLE LastPXEAdvertisement (
	ResourceID INT NOT NULL,
	MAC_Addresses NVARCHAR(17),
	SMBIOS_GUID UNIQUEIDENTIFIER,
	NetbiosName NVARCHAR(64),
	AdvertisementID NVARCHAR(8),
	LastPXEAdvertisementTime DATETIME
);

-- ---- data ------------------------------------------------------------------
-- Two sites' pairs: CAS's (2046820368/69, the keys of a public
-- NBS_GetPXEBootAction call) listed before PS1's (2046820352/53, the keys
-- of the public UnknownSystem_DISC dump): a reader that takes the first
-- x64 row without the site code gets the other site's object.
INSERT INTO UnknownSystem_DISC VALUES
	(2046820368, 2, 'a1e0c7f4-0d3b-4c53-9a51-1f5e4a0b7c10', 'x86 Unknown Computer (x86 Unknown Computer)', 'x86 Unknown Computer', 'x86', '2019-05-02 10:11:12', 'CAS', 0),
	(2046820369, 2, 'b2f1d805-1e4c-4d64-8b62-2a6f5b1c8d21', 'x64 Unknown Computer (x64 Unknown Computer)', 'x64 Unknown Computer', 'x64', '2019-05-02 10:11:12', 'CAS', 0),
	(2046820352, 2, '10993e21-6145-4cb4-a9cb-86c95721cd93', 'x86 Unknown Computer (x86 Unknown Computer)', 'x86 Unknown Computer', 'x86', '2025-06-04 16:15:07', 'PS1', 0),
	(2046820353, 2, 'e9cd8c06-cc50-4b05-a4b2-9c9b5a51bbe7', 'x64 Unknown Computer (x64 Unknown Computer)', 'x64 Unknown Computer', 'x64', '2025-06-04 16:15:07', 'PS1', 0);

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
	('SMS000US', 'All Unknown Computers'),
	('CAS00001', 'All Unknown Computers (CAS)');

INSERT INTO CollectionMembers VALUES
	('PS100010', 16777220), ('PS100011', 16777220),
	('PS100010', 16777221), ('PS100011', 16777221),
	('PS100013', 16777223), ('PS100013', 16777225),
	('PS100012', 16777226),
	('SMS000US', 2046820352), ('SMS000US', 2046820353),
	('CAS00001', 2046820368), ('CAS00001', 2046820369);

INSERT INTO BootImagePackage VALUES
	('PS100004', 'Boot image (x64)', 'x64'),
	('PS100005', 'Boot image (x64) not on this DP', 'x64'),
	('PS100006', 'Boot image (x86)', 'x86'),
	('PS100007', 'Broken boot image', 'x64');

INSERT INTO TaskSequencePackage VALUES
	('PS100020', 'Windows 11 Enterprise', 'PS100004', 3),
	('PS100021', 'Windows 10 LTSC', 'PS100004', 1),
	('PS100022', 'Hardware inventory only', NULL, 1),
	('PS100023', 'Windows 11 (boot image not here)', 'PS100005', 1),
	('PS100024', 'Windows 11 x86 WinPE', 'PS100006', 2),
	('PS100025', 'Broken', 'PS100007', 1);

-- OfferFlags 0x20 = AP_ASAP (required); PS120002 is newer than PS120003
-- but has the lower deployment ID, which is what orders them.
INSERT INTO Advertisement VALUES
	('PS120001', 'Win11 required', 'PS100020', 'PS100010', 32, NULL, '2024-03-01 08:00:00'),
	('PS120002', 'Win10 LTSC available', 'PS100021', 'PS100011', 0, NULL, '2024-05-01 08:00:00'),
	('PS120003', 'Win11 available', 'PS100020', 'PS100011', 0, NULL, '2024-04-01 08:00:00'),
	('PS120004', 'No boot image', 'PS100022', 'PS100011', 0, NULL, '2024-05-01 08:00:00'),
	('PS120005', 'Boot image elsewhere', 'PS100023', 'PS100011', 0, NULL, '2024-05-02 08:00:00'),
	('PS120006', 'Clone B deployment', 'PS100021', 'PS100013', 0, NULL, '2024-01-15 08:00:00'),
	('PS120007', 'Unknown x64 build', 'PS100020', 'SMS000US', 0, NULL, '2024-01-10 08:00:00'),
	('PS120008', 'Unknown x86 build', 'PS100024', 'SMS000US', 0, NULL, '2024-01-11 08:00:00'),
	('PS120009', 'Broken row', 'PS100025', 'PS100012', 0, '0001200000100018', '2024-06-01 08:00:00'),
	('PS12000A', 'Good row beside broken', 'PS100021', 'PS100012', 0, NULL, '2024-01-01 08:00:00'),
	('PS12000B', 'WinPE x86 rescue', 'PS100024', 'PS100011', 0, NULL, '2024-01-05 08:00:00'),
	('CAS20001', 'Other site unknown build', 'PS100020', 'CAS00001', 0, NULL, '2024-01-12 08:00:00');

-- dp01 answers in the IIS package share form of the public log
-- (http://DP/SMS_DP_SMSPKG$/<boot image id>), dp02 with a UNC path into
-- the RemoteInstall (REMINST) tree.
INSERT INTO DPContent VALUES
	('PS100004', 'dp01.corp.example', 'http://dp01.corp.example/SMS_DP_SMSPKG$/PS100004'),
	('PS100006', 'dp01.corp.example', 'http://dp01.corp.example/SMS_DP_SMSPKG$/PS100006'),
	('PS100007', 'dp01.corp.example', 'http://dp01.corp.example/SMS_DP_SMSPKG$/../../etc'),
	('PS100005', 'dp99.corp.example', 'http://dp99.corp.example/SMS_DP_SMSPKG$/PS100005'),
	('PS100004', 'dp02.corp.example', '\\dp02.corp.example\REMINST\SMSImages\PS100004\boot.PS100004.wim'),
	('PS100006', 'dp02.corp.example', '\\dp02.corp.example\REMINST\SMSImages\PS100006\boot.PS100006.wim');

INSERT INTO LastPXEAdvertisement VALUES
	(16777221, '52:54:00:00:00:02', '00000000-0000-0000-0000-000000000002', 'PC-RAN', 'PS120001', '2024-03-02 09:30:00');

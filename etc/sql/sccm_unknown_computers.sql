-- sccm_sql: this site's unknown-computer objects (one x86, one x64).
-- Placeholder: :site_code (site_code).  Item keys differ per site and a
-- hierarchy holds one pair per site, so they are read for this site code,
-- never hard-coded.  Columns (as in the public UnknownSystem_DISC dump:
-- ItemKey, DiscArchKey, SMS_Unique_Identifier0, Name0, Description0,
-- CPUType0, Creation_Date0, SiteCode0, Decommissioned0): ItemKey,
-- Architecture ('x86'/'x64').  More than one object per architecture is
-- an error.
SELECT ItemKey, CPUType0 AS Architecture
FROM UnknownSystem_DISC
WHERE Decommissioned0 = 0 AND SiteCode0 = :site_code

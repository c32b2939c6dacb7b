-- sccm_sql: the unknown-computer objects (one x86, one x64).  Their item
-- keys differ per site, so they are read, never hard-coded.
-- Expected columns: ItemKey (int), Architecture ('x86' or 'x64').
-- UNCERTAIN: CPUType0 is where the stand-in keeps the architecture; on a
-- real site derive it from Name0 ("x64 Unknown Computer (...)") if needed:
--   CASE WHEN Name0 LIKE 'x64%' THEN 'x64' ELSE 'x86' END AS Architecture
SELECT ItemKey, CPUType0 AS Architecture
FROM UnknownSystem_DISC
WHERE Decommissioned0 = 0

-- sccm_sql: boot image architectures (the boot action result has none).
-- Columns: PackageID, Architecture ('x86'/'x64': a string in the
-- SMS_BootImagePackage class; the numbers 0 = x86 and 9 = x64 work too).
-- UNCERTAIN: v_BootImagePackage is the SDK view of that class; check it
-- with "pxehubctl sccm check" and adapt if your login may not read it.
SELECT PackageID, Architecture FROM v_BootImagePackage

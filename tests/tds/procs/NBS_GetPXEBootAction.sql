-- Stand-in for the site's NBS_GetPXEBootAction, called positionally with
-- the five arguments of the public call:
--   exec NBS_GetPXEBootAction N'<machine key>',N'<unknown key for the
--        client architecture>',N'<smbios guid>',N'<mac>',N'<dp fqdn>'
-- (@arg1..@arg5: the real names are not public; every one is required).
-- What it does follows the published summary of the procedure (Jason
-- Sandys, "Boot image selection in ConfigMgr"): task-sequence deployments
-- targeted at the machine, without those whose task sequence has no boot
-- image or whose boot image is not on this DP, without required ones the
-- machine already ran (LastPXEAdvertisement); required first, then the
-- highest OfferID.  Required is OfferFlags & 0x620 (AP_ON_LOGON |
-- AP_ON_LOGOFF | AP_ASAP) or a mandatory schedule, as in that text.  It
-- does not look at architectures.  Columns: those of the <PXEBootAction>
-- element in public "Client boot action reply" log lines.  A machine key
-- that is an unknown-computer object answers that object's deployments.
-- params: @arg1, @arg2, @arg3, @arg4, @arg5
SELECT a.OfferID AS OfferID, a.PresentTime AS OfferIDTime, a.PkgID AS PkgID,
	t.SourceVersion AS PackageVersion, dp.PackagePath AS PackagePath,
	t.BootImageID AS BootImageID,
	(CASE WHEN (a.OfferFlags & 1568) != 0 OR IFNULL(a.MandatorySched, '') != ''
	      THEN 1 ELSE 0 END) AS "Mandatory [BIT]",
	l.AdvertisementID AS LastPXEAdvertisementID,
	l.LastPXEAdvertisementTime AS LastPXEAdvertisementTime
FROM Advertisement a
JOIN TaskSequencePackage t ON t.PkgID = a.PkgID
JOIN DPContent dp ON dp.PkgID = t.BootImageID AND dp.DPName = :arg5 COLLATE NOCASE
LEFT JOIN LastPXEAdvertisement l ON l.ResourceID = CAST(:arg1 AS INTEGER)
WHERE a.CollectionID IN (SELECT CollectionID FROM CollectionMembers
                         WHERE MachineID = CAST(:arg1 AS INTEGER))
  AND NOT (((a.OfferFlags & 1568) != 0 OR IFNULL(a.MandatorySched, '') != '')
           AND IFNULL(l.AdvertisementID, '') = a.OfferID)
ORDER BY 7 DESC, a.OfferID DESC;

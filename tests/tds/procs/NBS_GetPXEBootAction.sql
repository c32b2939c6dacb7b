-- Stand-in for NBS_GetPXEBootAction: the task-sequence deployments whose
-- collection holds the machine (or its unknown-computer object), with the
-- boot image, whether that image is on distribution point @DPName, and the
-- machine's last PXE deployment.  Selection is the caller's job.
-- params: @MachineID, @UnknownMachineID, @SMBIOS, @MACAddress, @DPName
SELECT a.OfferID AS OfferID, a.OfferName AS OfferName, a.PkgID AS PkgID,
	t.Name AS PkgName, t.BootImageID AS BootImageID,
	b.ImagePath AS PackagePath, b.Architecture AS BootImageArch,
	b.ContentHash AS BootImageHash,
	(SELECT COUNT(*) > 0 FROM DPContent c
	  WHERE c.PkgID = t.BootImageID AND c.DPName = :dpname) AS "BootImageOnDP [BIT]",
	a.Mandatory AS Mandatory, a.PresentTime AS OfferTime, a.MediaGUID AS MediaGUID,
	l.LastPXEAdvertisementID AS LastPXEAdvertisementID,
	l.LastPXEAdvertisementTime AS LastPXEAdvertisementTime
FROM Advertisement a
JOIN TaskSequencePackage t ON t.PkgID = a.PkgID
LEFT JOIN BootImagePackage b ON b.PkgID = t.BootImageID
LEFT JOIN LastPXEAdvertisement l ON l.MachineID = COALESCE(:machineid, :unknownmachineid)
WHERE a.CollectionID IN (SELECT CollectionID FROM CollectionMembers
                         WHERE MachineID IN (:machineid, :unknownmachineid))
ORDER BY a.OfferID;

-- Stand-in for the site database's NBS_LookupPXEDevice: every active
-- machine whose SMBIOS GUID or one of whose MAC addresses matches, with
-- flags telling whether that GUID / MAC is shared by several machines.
-- params: @SMBIOS, @MACAddress
SELECT s.ItemKey AS ItemKey, s.Name0 AS Name, s.SMBIOS_GUID0 AS SMBIOS_GUID,
	(SELECT m.MAC_Addresses0 FROM System_MAC_Addresses_ARR m
	  WHERE m.ItemKey = s.ItemKey AND m.MAC_Addresses0 = :macaddress) AS MACAddress,
	(SELECT COUNT(*) > 1 FROM System_DISC d
	  WHERE d.SMBIOS_GUID0 = s.SMBIOS_GUID0 AND d.Decommissioned0 = 0) AS "DuplicateSMBIOS [BIT]",
	(SELECT COUNT(DISTINCT m2.ItemKey) > 1 FROM System_MAC_Addresses_ARR m2
	  JOIN System_DISC d2 ON d2.ItemKey = m2.ItemKey AND d2.Decommissioned0 = 0
	  WHERE m2.MAC_Addresses0 = :macaddress) AS "DuplicateMACAddress [BIT]"
FROM System_DISC s
WHERE s.Decommissioned0 = 0
  AND (s.SMBIOS_GUID0 = :smbios
       OR s.ItemKey IN (SELECT ItemKey FROM System_MAC_Addresses_ARR
                        WHERE MAC_Addresses0 = :macaddress))
ORDER BY s.ItemKey;

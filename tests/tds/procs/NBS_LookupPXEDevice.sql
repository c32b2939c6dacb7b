-- Stand-in for the site's NBS_LookupPXEDevice, called positionally as in
-- the public snippet: exec NBS_LookupPXEDevice N'<smbios guid>',N'<mac>'.
-- The parameter names are not public: @arg1/@arg2 stand for them, so a call
-- by any guessed name fails here as it would on a site (message 8145).
-- The result is one row of five unnamed integers, the shape of the public
-- SMSPXE.log line "MP_LookupDevice succeeded: 16777299 1 16777299 1 0":
-- read here as (machine by SMBIOS GUID, how many machines have that GUID,
-- machine by MAC, how many have that MAC, 0).  That reading is an inference
-- from one log line (tests/tds/README); the column names are not public.
-- params: @arg1, @arg2
SELECT
	COALESCE((SELECT MIN(d.ItemKey) FROM System_DISC d
	          WHERE d.Decommissioned0 = 0 AND d.SMBIOS_GUID0 = UPPER(:arg1)), 0) AS "",
	(SELECT COUNT(*) FROM System_DISC d
	 WHERE d.Decommissioned0 = 0 AND d.SMBIOS_GUID0 = UPPER(:arg1)) AS "",
	COALESCE((SELECT MIN(m.ItemKey) FROM System_MAC_Addresses_ARR m
	          JOIN System_DISC d ON d.ItemKey = m.ItemKey AND d.Decommissioned0 = 0
	          WHERE m.MAC_Addresses0 = UPPER(:arg2)), 0) AS "",
	(SELECT COUNT(DISTINCT m.ItemKey) FROM System_MAC_Addresses_ARR m
	 JOIN System_DISC d ON d.ItemKey = m.ItemKey AND d.Decommissioned0 = 0
	 WHERE m.MAC_Addresses0 = UPPER(:arg2)) AS "",
	0 AS "";

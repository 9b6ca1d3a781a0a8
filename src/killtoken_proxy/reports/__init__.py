"""Reports over the ledger: analytics summary, ROI, CSV export; all built from rollups, never full scans."""

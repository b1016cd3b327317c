"""Files going out to the staff: the detailed report of a period, the audit workbook, their jobs."""

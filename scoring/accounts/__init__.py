"""Unit staff accounts managed from the portal by Sở Nội vụ: the services, the reads and the password reset (the page
and its form are in scoring.staff.accounts and scoring.staff.account_forms)."""

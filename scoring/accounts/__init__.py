"""Unit staff accounts managed from the portal by Sở Nội vụ: the page, its form, the services and the reads."""

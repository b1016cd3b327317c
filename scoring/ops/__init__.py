"""Operations: the job runner, backups, the database role, the demonstration data."""

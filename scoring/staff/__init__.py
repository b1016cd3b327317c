"""The staff web layer: every /cham-diem/ and /viec/ page, its forms, tables and URLs."""

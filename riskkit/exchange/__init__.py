"""Exchange with the tools teams already use: the register as flat rows (CSV, xlsx) and
back, owner digests for chat and mail, the drill calendar, SQLite for dashboards.

It sits after ``review`` (digests and the SQLite export carry review findings) and
before ``present``; optional libraries (openpyxl) are imported only where they are used.
"""

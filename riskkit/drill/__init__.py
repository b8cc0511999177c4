"""Drills: records of runbooks exercised, the quarterly plan, measured minutes, and recording a drill."""
